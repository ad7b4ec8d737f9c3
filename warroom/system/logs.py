"""Logging: one rotating file in the user log dir; a logger per subsystem."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def setup_logging(log_dir: Path, level: int = logging.INFO) -> Path | None:
    """Returns the log file, or None when the log dir cannot be written (then stderr only)."""
    root = logging.getLogger("warroom")
    root.setLevel(level)
    for old in [h for h in root.handlers if getattr(h, "warroom_owned", False)]:
        root.removeHandler(old)
        old.close()
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = log_dir / "warroom.log"
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        path, handler = None, logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.warroom_owned = True  # type: ignore[attr-defined]  # a mark on a stdlib handler: which one is ours
    root.addHandler(handler)
    return path
