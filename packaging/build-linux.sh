#!/usr/bin/env bash
# Builds the Linux desktop bundle and the tarball users download:
#
#   dist/warroom/                                 one folder, two executables (warroom, the GUI;
#                                                 warroom-cli, for scripts) over one _internal/
#   dist/warroom-VERSION-linux-ARCH.tar.gz        that folder with install.sh, uninstall.sh, the
#                                                 menu entry, AppStream metainfo and icons
#
# Needs the venv with the packaging extra (.venv/bin/pip install -e '.[packaging]'); PYTHON
# names another interpreter. The version is pyproject.toml's. desktop-file-validate and
# appstreamcli check the metadata when they are installed (Debian: desktop-file-utils,
# appstream); packaging/smoke-test-linux.sh checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
started=$SECONDS

version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
name=warroom-$version-linux-$(uname -m)
metainfo=packaging/io.github.warroom.metainfo.xml
if ! grep -q "<release version=\"$version\"" "$metainfo"; then
    echo "build-linux.sh: $metainfo has no <release version=\"$version\"> with its notes" >&2
    exit 1
fi

echo "== PyInstaller: dist/warroom"
# ERROR: its warnings are all expected here (drivers for databases warroom does not use,
# GTK for a plugin the spec leaves out); build/pyinstaller/warroom/warn-warroom.txt has them.
"$python" -m PyInstaller --noconfirm --log-level ERROR \
    --distpath dist --workpath build/pyinstaller packaging/warroom.spec
# On Linux the two executables are the same bootloader and archive (the console flag only
# matters on Windows and macOS): one file under two names halves their share of the size.
if cmp -s dist/warroom/warroom dist/warroom/warroom-cli; then
    ln -f dist/warroom/warroom dist/warroom/warroom-cli
fi

echo "== tarball: dist/$name.tar.gz"
stage=build/tarball/$name
rm -rf build/tarball dist/warroom-*-linux-*.tar.gz
mkdir -p "$stage"
cp -al dist/warroom "$stage/warroom"  # hard links: no second copy of 120 MB
install -m 755 packaging/linux/install.sh packaging/linux/uninstall.sh "$stage/"
install -D -m 644 packaging/warroom.desktop "$stage/share/applications/warroom.desktop"
install -D -m 644 "$metainfo" "$stage/share/metainfo/io.github.warroom.metainfo.xml"
icons=$stage/share/icons/hicolor
install -D -m 644 packaging/icons/warroom.svg "$icons/scalable/apps/warroom.svg"
"$python" packaging/render_icons.py packaging/icons/warroom.svg "$icons" 48 128 256 >/dev/null

if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$stage/share/applications/warroom.desktop"
else
    echo "(desktop-file-validate not installed: the menu entry is not checked)"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net --pedantic "$stage/share/metainfo/io.github.warroom.metainfo.xml" >/dev/null
else
    echo "(appstreamcli not installed: the metainfo is not checked)"
fi

tar -C build/tarball --sort=name --owner=0 --group=0 --numeric-owner \
    -czf "dist/$name.tar.gz" "$name"

bytes=$(du -s --block-size=1 dist/warroom | cut -f1)
tarball=$(stat -c %s "dist/$name.tar.gz")
awk -v b="$bytes" -v t="$tarball" -v s=$((SECONDS - started)) 'BEGIN {
    printf "bundle dist/warroom: %.1f MB (%.1f MiB) unpacked, goal <= 120 MB; tarball %.1f MB; built in %d s\n",
        b / 1e6, b / 1048576, t / 1e6, s }'
