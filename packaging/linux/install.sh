#!/bin/sh
# Installs warroom for you alone: nothing outside your home, no root, no Python needed.
#
#   ./install.sh                 the program in ~/.local/lib/warroom, the commands warroom and
#                                warroom-cli in ~/.local/bin, the menu entry, icons and
#                                AppStream data in ~/.local/share
#   PREFIX=DIR ./install.sh      the same under DIR (DIR/bin, DIR/lib/warroom, DIR/share)
#
# Running it again upgrades in place. ~/.local/lib/warroom/uninstall.sh removes it all again.
# Neither touches your incidents, settings or logs (`warroom-cli paths` shows where they are).
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
prefix=${PREFIX:-$HOME/.local}
if [ -n "${PREFIX:-}" ]; then share=$PREFIX/share; else share=${XDG_DATA_HOME:-$HOME/.local/share}; fi
bin=$prefix/bin
app=$prefix/lib/warroom

if [ ! -x "$here/warroom/warroom" ] || [ ! -x "$here/warroom/warroom-cli" ]; then
    echo "install.sh: no warroom/warroom beside this script; run it from the unpacked download" >&2
    exit 1
fi
case $app in
    *"
"*) echo "install.sh: a folder name with a line break is not supported: $app" >&2; exit 1 ;;
esac

# The desktop entry's Exec= value: quoted when the path needs it (a space in the home
# folder), then escaped as a desktop-file string; % is doubled so it is no field code.
desktop_exec() {
    case $1 in
        *[!A-Za-z0-9_./+@-]*)
            quoted=$(printf '%s' "$1" | sed 's/[\\"`$]/\\&/g')
            printf '"%s"' "$quoted" | sed 's/\\/\\\\/g; s/%/%%/g' ;;
        *) printf '%s' "$1" ;;
    esac
}
desktop_string() { printf '%s' "$1" | sed 's/\\/\\\\/g'; }

# The program: copied beside the old one, then swapped in, so a failed copy changes nothing.
mkdir -p "$prefix/lib"
fresh=$app.new.$$
rm -rf "$fresh"
cp -a "$here/warroom" "$fresh"
cp "$here/uninstall.sh" "$fresh/uninstall.sh"
chmod 755 "$fresh/uninstall.sh"
if [ -e "$app" ]; then
    rm -rf "$app.old"
    mv "$app" "$app.old"
fi
mv "$fresh" "$app"
rm -rf "$app.old"

installed="$app/INSTALLED"
: > "$installed"
place() {  # place SOURCE TARGET: copies a file and records it for uninstall.sh
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
    chmod 644 "$2"
    printf '%s\n' "$2" >> "$installed"
}

mkdir -p "$bin"
for command in warroom warroom-cli; do
    if [ -e "$bin/$command" ] && [ "$(readlink "$bin/$command" || true)" != "$app/$command" ]; then
        echo "install.sh: replacing $bin/$command (it did not point at $app)" >&2
    fi
    ln -sfn "$app/$command" "$bin/$command"
    printf '%s\n' "$bin/$command" >> "$installed"
done

desktop=$share/applications/warroom.desktop
mkdir -p "$share/applications"
exec_value=$(desktop_exec "$app/warroom")
tryexec_value=$(desktop_string "$app/warroom")
# sed's replacement text: & and \ and the | delimiter taken literally
exec_sed=$(printf '%s' "$exec_value" | sed 's/[&|\\]/\\&/g')
tryexec_sed=$(printf '%s' "$tryexec_value" | sed 's/[&|\\]/\\&/g')
sed -e "s|^Exec=.*|Exec=$exec_sed|" -e "s|^TryExec=.*|TryExec=$tryexec_sed|" \
    "$here/share/applications/warroom.desktop" > "$desktop"
chmod 644 "$desktop"
printf '%s\n' "$desktop" >> "$installed"

place "$here/share/metainfo/io.github.warroom.metainfo.xml" \
    "$share/metainfo/io.github.warroom.metainfo.xml"
for icon in "$here"/share/icons/hicolor/*/apps/warroom.*; do
    place "$icon" "$share/icons/hicolor/${icon#"$here/share/icons/hicolor/"}"
done

# Tell the menu and the icon theme (each step only where the tool exists).
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share/applications" 2>/dev/null || true
fi
touch "$share/icons/hicolor"
if [ -f "$share/icons/hicolor/index.theme" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
fi

version=$("$app/warroom-cli" --version 2>/dev/null || echo warroom)
echo "Installed $version:"
echo "  program      $app"
echo "  commands     $bin/warroom, $bin/warroom-cli"
echo "  menu entry   $desktop"
echo "  icons        $share/icons/hicolor/*/apps/warroom.*"
echo "  AppStream    $share/metainfo/io.github.warroom.metainfo.xml"
echo "To remove it: $app/uninstall.sh"
case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "Note: $bin is not on your PATH; add it to run warroom-cli by name (the menu entry works as it is)." ;;
esac
