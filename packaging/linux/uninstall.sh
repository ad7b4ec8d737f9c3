#!/bin/sh
# Removes what install.sh put in place: the program, its two commands, the menu entry, the
# icons and the AppStream data. Your incidents, settings and logs stay where they are
# (by default ~/.local/share/warroom, ~/.config/warroom and ~/.local/state/warroom).
#
#   ~/.local/lib/warroom/uninstall.sh     or, from the unpacked download, ./uninstall.sh
#   PREFIX=DIR ./uninstall.sh             for an install made with PREFIX=DIR
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
if [ -f "$here/INSTALLED" ]; then
    app=$here
else
    app=${PREFIX:-$HOME/.local}/lib/warroom
fi
if [ ! -f "$app/INSTALLED" ]; then
    echo "uninstall.sh: warroom is not installed in $app" >&2
    exit 1
fi

while IFS= read -r path; do
    if [ -L "$path" ]; then
        # a command: removed only while it still points at this installation
        if [ "$(readlink "$path")" = "$app/$(basename "$path")" ]; then rm -f "$path"; fi
    elif [ -f "$path" ]; then
        rm -f "$path"
        case $path in
            */applications/warroom.desktop)
                if command -v update-desktop-database >/dev/null 2>&1; then
                    update-desktop-database -q "$(dirname "$path")" 2>/dev/null || true
                fi ;;
        esac
    fi
done < "$app/INSTALLED"
rm -rf "$app"
echo "warroom removed from $app and its menu entry, icons and commands with it."
echo "Your data was left in place (by default ~/.local/share/warroom)."
