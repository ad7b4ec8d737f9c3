"""Themes: light, dark (following the system colour scheme by default) and high contrast.

Each theme is a palette file (resources/themes/<key>.toml). The one stylesheet,
resources/themes/base.qss, is a template filled from it; Qt's own palette is set from the same
colours, and SVG icons are recoloured to the theme's text colour.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from warroom.system.paths import resources_dir
from warroom.ui import palette as signal_colours

SYSTEM = "system"
THEME_LABELS = {
    SYSTEM: "Follow the system (light or dark)",
    "light": "Light",
    "dark": "Dark",
    "high_contrast": "High contrast",
}


class ThemeError(ValueError):
    pass


@dataclass(frozen=True)
class Theme:
    key: str
    name: str
    colours: dict[str, str]

    def colour(self, name: str) -> QColor:
        return QColor(self.colours[name])


@cache
def load_theme(key: str) -> Theme:
    path = resources_dir() / "themes" / f"{key}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{path}: {exc}") from exc
    name = str(data.pop("name", key))
    colours = {k: str(v) for k, v in data.items()}
    for key_name, value in colours.items():
        if not QColor.isValidColorName(value):
            raise ThemeError(f"{path}: {key_name}: {value!r} is not a colour")
    return Theme(key, name, colours)


def stylesheet(theme: Theme) -> str:
    """base.qss filled from the palette; a name the palette lacks is an error, not a blank."""
    template = (resources_dir() / "themes" / "base.qss").read_text(encoding="utf-8")
    try:
        return string.Template(template).substitute(theme.colours)
    except KeyError as exc:
        raise ThemeError(f"theme {theme.key!r} has no colour {exc.args[0]!r}") from None


def resolve(choice: str) -> str:
    """The theme to use for a choice: "system" follows the desktop's colour scheme."""
    if choice in THEME_LABELS and choice != SYSTEM:
        return choice
    hints = QGuiApplication.styleHints()
    dark = hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark
    return "dark" if dark else "light"


def qt_palette(theme: Theme) -> QPalette:
    c = theme.colour
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "base",
        QPalette.ColorRole.AlternateBase: "alt_base",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.Button: "button",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.ToolTipBase: "base",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.PlaceholderText: "muted",
        QPalette.ColorRole.Highlight: "selection_bg",
        QPalette.ColorRole.HighlightedText: "selection_text",
        QPalette.ColorRole.Link: "link",
        QPalette.ColorRole.BrightText: "alert_text",
    }
    for role, name in roles.items():
        pal.setColor(role, c(name))
    muted = c("muted")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        pal.setColor(QPalette.ColorGroup.Disabled, role, muted)
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, muted)
    return pal


def apply_theme(app: QApplication, choice: str) -> Theme:
    theme = load_theme(resolve(choice))
    app.setStyle("Fusion")  # the one style that follows a custom palette everywhere
    app.setPalette(qt_palette(theme))
    app.setStyleSheet(stylesheet(theme))
    signal_colours.use_theme(theme.colours)
    return theme


def themed_icon(name: str, theme: Theme) -> QIcon:
    """An SVG icon drawn in the theme's text colour (the files use currentColor)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    svg = path.read_text(encoding="utf-8").replace("currentColor", theme.colours["text"])
    pixmap = QPixmap()
    pixmap.loadFromData(QByteArray(svg.encode("utf-8")), "SVG")
    return QIcon(pixmap)
