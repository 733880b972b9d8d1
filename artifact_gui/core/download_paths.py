"""Where a download writes: every path stays inside its root on disk, not only as text.

An entry path is checked as text (names.validate_entry_path: relative, no '..'), but a symlink
already in the download folder (`link -> ../elsewhere`) would still take the entry `link/x`
outside it. So every folder level below the root must be a real folder: one that exists is
checked with lstat (which never follows a link), one that does not is made with mkdir (which
never follows one either). The root itself may be reached through links (a symlinked home,
/tmp on macOS): the user chose it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence

from .names import InvalidPathError, validate_entry_path


def check_destinations(root: str, destinations: Sequence[tuple[str, str]]) -> None:
    """Before a download writes anything: each (entry path, destination relative to `root`)
    is a valid path; none is also a folder another one needs; no name is longer than the file
    system takes; and no folder on the way that already exists is a symlink or a file."""
    root = os.path.abspath(root)
    needed: dict[str, str] = {}  # each folder below the root -> the first entry that needs it
    for entry_path, relative in destinations:
        folder = validate_entry_path(relative).rpartition("/")[0]
        while folder and folder not in needed:
            needed[folder] = entry_path
            folder = folder.rpartition("/")[0]
    _refuse_files_that_are_folders(destinations, needed)
    _refuse_names_too_long(root, destinations)
    _refuse_links_and_files_on_the_way(root, needed)


def _refuse_files_that_are_folders(destinations: Sequence[tuple[str, str]], needed: dict[str, str]) -> None:
    for entry_path, relative in destinations:
        if relative in needed:
            raise InvalidPathError(
                f"entries {entry_path!r} and {needed[relative]!r} cannot both be downloaded: {relative!r}"
                " would be both a file and a folder; the version's manifest is inconsistent"
            )


def _refuse_names_too_long(root: str, destinations: Sequence[tuple[str, str]]) -> None:
    name_max, path_max = _limits(root)
    root_bytes = len(os.fsencode(root))
    for entry_path, relative in destinations:
        encoded = os.fsencode(relative)
        if root_bytes + 1 + len(encoded) >= path_max:
            raise InvalidPathError(f"entry {entry_path!r} refused: its path under {root!r} is"
                                   f" {root_bytes + 1 + len(encoded)} bytes, and the file system takes"
                                   f" paths under {path_max}")
        if len(encoded) > name_max and (longest := max(map(len, encoded.split(b"/")))) > name_max:
            raise InvalidPathError(f"entry {entry_path!r} refused: a name in it is {longest} bytes, and the file"
                                   f" system at {root!r} takes names of at most {name_max}")


def _limits(root: str) -> tuple[int, int]:
    """NAME_MAX and PATH_MAX where the download goes (its nearest folder that exists)."""
    existing = root
    while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    try:
        return os.pathconf(existing, "PC_NAME_MAX"), os.pathconf(existing, "PC_PATH_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        return 255, 4096


def name_too_long(error: OSError) -> InvalidPathError:
    """ENAMETOOLONG from writing a download, as the error that names the path."""
    path = error.filename2 or error.filename
    return InvalidPathError(f"cannot write {path!r}: a name in it, or the whole path, is longer than the file"
                            " system takes")


def _refuse_links_and_files_on_the_way(root: str, needed: dict[str, str]) -> None:
    missing: set[str] = set()
    for folder in sorted(needed):  # a folder after its parent
        if folder.rpartition("/")[0] in missing:
            missing.add(folder)
            continue
        try:
            mode = os.lstat(os.path.join(root, *folder.split("/"))).st_mode
        except FileNotFoundError:
            missing.add(folder)
            continue
        _require_real_folder(root, folder, mode, needed[folder])


class DownloadFolders:
    """Destinations under one root, their folders made as they are first needed, each level
    a real folder (see the module's docstring). Safe to share between threads."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self._real: set[str] = set()  # folders checked or made ("" the root), relative to the root

    def destination(self, relative: str, entry_path: str | None = None) -> str:
        """The absolute path of `relative` under the root, with its folders in place."""
        parts = validate_entry_path(relative).split("/")
        if "/".join(parts[:-1]) not in self._real:
            self._make_folders(parts[:-1], entry_path or relative)
        return os.path.join(self.root, *parts)

    def _make_folders(self, parts: list[str], entry_path: str) -> None:
        if "" not in self._real:
            os.makedirs(self.root, exist_ok=True)  # links followed: the user chose the root
            self._real.add("")
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in self._real:
                self._make_real_folder(folder, entry_path)

    def _make_real_folder(self, folder: str, entry_path: str) -> None:
        path = os.path.join(self.root, *folder.split("/"))
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        _require_real_folder(self.root, folder, os.lstat(path).st_mode, entry_path)
        self._real.add(folder)


def _require_real_folder(root: str, folder: str, mode: int, entry_path: str) -> None:
    if stat.S_ISDIR(mode):
        return
    if stat.S_ISLNK(mode):
        raise InvalidPathError(
            f"entry {entry_path!r} refused: {folder!r} in the download folder {root!r} is a symlink, and"
            " writing through it could put the file outside that folder; remove the link or download elsewhere"
        )
    path = os.path.join(root, *folder.split("/"))
    raise FileExistsError(errno.EEXIST, f"entry {entry_path!r} needs a folder there, but a file is in the way", path)
