"""Renders the app icon's PNG sizes from its SVG with Qt's own SVG renderer, so the build
needs nothing beyond the venv it freezes:

    python packaging/render_icons.py SVG OUT_DIR [SIZE ...]

writes OUT_DIR/SIZExSIZE/apps/NAME.png for each size (default 48, 128 and 256), the layout of
an icon theme such as hicolor.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402


def render(svg: Path, out_dir: Path, sizes: list[int]) -> list[Path]:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not an SVG that Qt can render")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"{size}x{size}" / "apps" / f"{svg.stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    app = QGuiApplication([])
    sizes = [int(s) for s in sys.argv[3:]] or [48, 128, 256]
    for path in render(Path(sys.argv[1]), Path(sys.argv[2]), sizes):
        print(path)
