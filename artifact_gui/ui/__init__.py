"""The Qt desktop application: the only package that imports PySide6."""

from .main_window import MainWindow

__all__ = ["MainWindow"]
