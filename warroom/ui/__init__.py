"""PySide6 views. Only warroom.ui.app imports this package."""
