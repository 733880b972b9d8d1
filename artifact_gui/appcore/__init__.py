"""The desktop application's logic in plain Python: what the window does, without Qt.

Staging a version, the transfer state machine, change records, notifications, the
settings registry and the questions asked before irreversible steps live here, where
they are tested without a display. `artifact_gui.ui` adapts them to widgets."""
