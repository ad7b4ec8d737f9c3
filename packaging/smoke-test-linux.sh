#!/usr/bin/env bash
# Smoke test of the Linux tarball as a user who has only the download would meet it: a new,
# empty HOME, PATH=/usr/bin:/bin, no venv and no other variable of this shell.
#
#   packaging/smoke-test-linux.sh dist/warroom-VERSION-linux-x86_64.tar.gz
#
# 1. warroom-cli from the unpacked tarball: --version, declare, note, list --json, export,
#    evidence add and verify, each exiting 0 with the expected output and nothing on stderr;
# 2. install.sh into that HOME: the menu entry and metainfo validate, the entry's Exec= is an
#    executable, the icons are there, warroom-cli runs from ~/.local/bin;
# 3. the GUI, started as the menu entry starts it, under Xvfb: a window shows (xdotool), a
#    screenshot of it is not blank (kept as dist/smoke-test-gui.png), it is closed by its PID,
#    and its log went to --data-dir's logs/ folder, not to HOME;
# 4. uninstall.sh removes it all and leaves the data alone.
# Needs xvfb-run, xdotool, ImageMagick, desktop-file-validate and appstreamcli (Debian:
# xvfb xauth xdotool imagemagick desktop-file-utils appstream). PYTHON (default .venv/bin/python)
# only reads the JSON that the bundle printed.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 TARBALL" >&2; exit 2; }
tarball=$(realpath "$1")
cd "$(dirname "$0")/.."
python=$(realpath "${PYTHON:-.venv/bin/python}")
version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
mkdir -p dist
screenshot=$(realpath dist)/smoke-test-gui.png

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
home=$tmp/home
data=$tmp/data
mkdir -p "$home"
as_user() { env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }
fail() { echo "smoke test FAILED: $*" >&2; exit 1; }
quiet() {  # quiet NAME COMMAND...: runs it, fails on a non-zero exit or anything on stderr
    local name=$1
    shift
    "$@" 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; fail "$name exited $?"; }
    if [ -s "$tmp/stderr" ]; then cat "$tmp/stderr" >&2; fail "$name wrote to stderr"; fi
}

tar -C "$tmp" -xzf "$tarball"
unpacked=$tmp/$(basename "$tarball" .tar.gz)
cli=$unpacked/warroom/warroom-cli

echo "== warroom-cli from the unpacked tarball (HOME=$home, PATH=/usr/bin:/bin, no venv)"
for program in warroom warroom-cli; do
    quiet "$program --version" as_user "$unpacked/warroom/$program" --version >"$tmp/out"
    [ "$(cat "$tmp/out")" = "warroom $version" ] || fail "$program --version printed $(cat "$tmp/out")"
done
quiet declare as_user "$cli" --data-dir "$data" declare --title "Smoke: checkout 500s" \
    --severity P1 --impact "EU users" --started 2026-11-22T14:02:00Z >"$tmp/out"
id=$(cat "$tmp/out")
[[ $id =~ ^[0-9]+$ ]] || fail "declare printed '$id', not an id"
quiet note as_user "$cli" --data-dir "$data" note "$id" "Rolled back deploy 4812" >/dev/null
quiet list as_user "$cli" --data-dir "$data" list --json >"$tmp/list.json"
"$python" - "$tmp/list.json" "$id" <<'PY' || fail "list --json is not what was declared"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [row["id"] for row in rows] == [int(sys.argv[2])], rows
row = rows[0]
assert (row["title"], row["severity"], row["impact"]) == ("Smoke: checkout 500s", "P1", "EU users"), row
assert row["next_update"]["deadline"], row
PY
quiet export as_user "$cli" --data-dir "$data" export "$id" >"$tmp/postmortem.md"
grep -q "^# Post-mortem: Smoke: checkout 500s" "$tmp/postmortem.md" || fail "export has no title"
grep -q "Rolled back deploy 4812" "$tmp/postmortem.md" || fail "export has no timeline note"
printf 'ERROR checkout 500\n' >"$tmp/app.log"
quiet "evidence add" as_user "$cli" --data-dir "$data" evidence add "$id" "$tmp/app.log" >"$tmp/out"
grep -q "$(sha256sum "$tmp/app.log" | cut -d' ' -f1)" "$tmp/out" || fail "evidence add: wrong sha256"
quiet "evidence verify" as_user "$cli" --data-dir "$data" evidence verify "$id" >"$tmp/out"
grep -q "intact" "$tmp/out" || fail "evidence verify: $(cat "$tmp/out")"
echo "declare, note, list --json, export, evidence add and verify: ok"

echo "== install.sh into HOME"
quiet install.sh as_user "$unpacked/install.sh" >"$tmp/out"
share=$home/.local/share
desktop=$share/applications/warroom.desktop
desktop-file-validate "$desktop" || fail "the installed menu entry does not validate"
appstreamcli validate --no-net "$share/metainfo/io.github.warroom.metainfo.xml" >/dev/null \
    || fail "the installed metainfo does not validate"
program=$(sed -n 's/^Exec=//p' "$desktop")
[ "$program" = "$home/.local/lib/warroom/warroom" ] || fail "Exec=$program"
[ -x "$program" ] || fail "Exec=$program is not an executable"
for size in 48 128 256; do
    [ "$(identify -format %wx%h "$share/icons/hicolor/${size}x$size/apps/warroom.png")" = "${size}x$size" ] \
        || fail "no ${size}px icon"
done
[ -f "$share/icons/hicolor/scalable/apps/warroom.svg" ] || fail "no SVG icon"
[ "$(env -i HOME="$home" PATH="$home/.local/bin:/usr/bin:/bin" warroom-cli --version)" = "warroom $version" ] \
    || fail "warroom-cli from ~/.local/bin"
echo "menu entry (Exec=$program), metainfo, icons, commands: ok"

echo "== the GUI as the menu entry starts it, under Xvfb"
cat >"$tmp/gui.sh" <<'SH'
# gui.sh PROGRAM DATA SCREENSHOT: start, wait for a visible window, screenshot, close by PID
"$1" --data-dir "$2" >"$3.log" 2>&1 &
pid=$!
window=
for _ in $(seq 120); do
    window=$(xdotool search --onlyvisible --pid "$pid" 2>/dev/null | head -n 1)
    [ -n "$window" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "it exited before showing a window"; cat "$3.log"; exit 1; }
    sleep 0.5
done
[ -n "$window" ] || { echo "no window within 60 s"; kill "$pid"; exit 1; }
echo "window: $(xdotool getwindowname "$window")"
# The board paints just after the window maps; a loaded machine may take seconds more.
for _ in $(seq 30); do
    sleep 1
    import -window root "$3"
    [ "$(identify -format %k "$3")" -ge 16 ] && break
done
kill "$pid"
wait "$pid" 2>/dev/null
echo "closed by PID $pid (exit status $?)"
SH
as_user xvfb-run -a -s "-screen 0 1366x768x24" sh "$tmp/gui.sh" "$program" "$data" "$screenshot" \
    || fail "the GUI did not show a window"
colours=$(identify -format %k "$screenshot")
[ "$colours" -ge 16 ] || fail "the screenshot is blank ($colours colours): $screenshot"
[ -s "$data/logs/warroom.log" ] || fail "no log in $data/logs"
[ ! -e "$home/.local/state/warroom" ] || fail "the GUI wrote to $home/.local/state/warroom"
echo "window shown, screenshot of $colours colours in $screenshot, log in --data-dir: ok"

echo "== uninstall.sh"
quiet uninstall.sh as_user "$home/.local/lib/warroom/uninstall.sh" >/dev/null
for gone in "$desktop" "$home/.local/bin/warroom" "$home/.local/bin/warroom-cli" \
    "$home/.local/lib/warroom" "$share/metainfo/io.github.warroom.metainfo.xml" \
    "$share/icons/hicolor/256x256/apps/warroom.png"; do
    [ ! -e "$gone" ] && [ ! -L "$gone" ] || fail "uninstall.sh left $gone"
done
[ -s "$data/warroom.db" ] || fail "uninstall.sh touched the data"
echo "everything removed, data kept: ok"
echo "smoke test passed: $(basename "$tarball")"
