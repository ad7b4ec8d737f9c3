"""PySide6 views. Only warroom.app imports this package."""
