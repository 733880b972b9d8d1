"""The desktop launcher: put artifact-gui's .desktop file and icon into the user's XDG data folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

DESKTOP_FILE = "artifact-gui.desktop"
ICON_FILE = "artifact-gui.svg"
_INSTALLED_AT = {DESKTOP_FILE: ("applications",), ICON_FILE: ("icons", "hicolor", "scalable", "apps")}


def resource_path(name: str) -> str:
    """A file of resources/: from the source tree (editable installs), else where a wheel put it."""
    source_tree = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", name)
    candidates = [os.path.normpath(source_tree), os.path.join(sys.prefix, "share", *_INSTALLED_AT[name], name)]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{name} is in neither {candidates[0]} nor {candidates[1]}: reinstall artifact-gui")


def xdg_data_home() -> str:
    return os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")


def launch_command() -> str:
    """The Exec= command: absolute, since a virtual environment's bin/ is not on the desktop's PATH."""
    script = os.path.join(os.path.dirname(sys.executable), "artifact-gui")
    parts = [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "artifact_gui"]
    return " ".join(_desktop_quote(part) for part in parts)


def _desktop_quote(argument: str) -> str:
    """Quote one Exec= argument as the Desktop Entry specification asks."""
    if not any(c in argument for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def desktop_entry_text(command: str) -> str:
    """resources/artifact-gui.desktop with `Exec=` running `command`."""
    with open(resource_path(DESKTOP_FILE), encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if line.startswith("Exec="):
            line = f"Exec={command} %F"
        out.append(line)
    return "\n".join(out) + "\n"


def install_desktop_entry(data_home: str | None = None) -> list[str]:
    """Write the launcher and the icon under `data_home` (default: $XDG_DATA_HOME); returns the paths."""
    data_home = data_home or xdg_data_home()
    desktop_path = os.path.join(data_home, *_INSTALLED_AT[DESKTOP_FILE], DESKTOP_FILE)
    icon_path = os.path.join(data_home, *_INSTALLED_AT[ICON_FILE], ICON_FILE)
    for path in (desktop_path, icon_path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    text = desktop_entry_text(launch_command())
    temporary = desktop_path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, desktop_path)
    shutil.copyfile(resource_path(ICON_FILE), icon_path)
    _refresh_desktop_caches(data_home)
    return [desktop_path, icon_path]


def remove_desktop_entry(data_home: str | None = None) -> list[str]:
    """Remove what install_desktop_entry wrote; returns the paths removed."""
    data_home = data_home or xdg_data_home()
    removed = []
    for name, folders in _INSTALLED_AT.items():
        path = os.path.join(data_home, *folders, name)
        if os.path.exists(path):
            os.remove(path)
            removed.append(path)
    _refresh_desktop_caches(data_home)
    return removed


def _refresh_desktop_caches(data_home: str) -> None:
    """Menus pick up the change sooner where these tools exist; without them they still do on re-login."""
    for tool, folder in (("update-desktop-database", "applications"), ("gtk-update-icon-cache", "icons/hicolor")):
        if shutil.which(tool) and os.path.isdir(os.path.join(data_home, folder)):
            subprocess.run([tool, "-q", os.path.join(data_home, folder)] if tool == "update-desktop-database"
                           else [tool, "-q", "-t", os.path.join(data_home, folder)],
                           capture_output=True, check=False)
