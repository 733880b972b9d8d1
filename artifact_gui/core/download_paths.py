"""Where a download writes: every path stays inside its root on disk, not only as text.

An entry path is checked as text (names.validate_entry_path: relative, no '..'), but a symlink
already in the download folder (`link -> ../elsewhere`) would still take the entry `link/x`
outside it. So every folder level below the root must be a real folder: one that exists is
checked with lstat (which never follows a link), one that does not is made with mkdir (which
never follows one either). The root itself may be reached through links (a symlinked home,
/tmp on macOS): the user chose it.

Entry paths are POSIX text, and what is a legal name on Linux (':' in it, 'A.txt' beside
'a.txt') is legal in an artifact, as in W&B. Where a download lands can still read such a
name differently, so check_destinations applies the destination's own rules, at download time
(entries come from servers and store.db files that need not have refused anything):
- Windows' path rules: a part 'C:' is a drive, and joining the root with it drops the root;
  'a.txt:x' is a stream; 'CON', 'nul.txt' are devices; a trailing '.' or ' ' is stripped, so
  '.. ' may act as '..'. Each part must pass windows_part_problem.
- A file system that folds case or normalises Unicode (macOS, Windows): 'A.txt' and 'a.txt',
  or two spellings of 'é', are one file there, and one entry would silently overwrite the
  other. The file system is probed once per download (names_fold).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import unicodedata
import uuid
from collections.abc import Sequence

from .names import InvalidPathError, validate_entry_path


WINDOWS_RULES = os.name == "nt"  # whether destination paths follow Windows' rules (tests set it)

_WINDOWS_FORBIDDEN = set('<>:"|?*') | {chr(code) for code in range(32)}
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"])


def windows_part_problem(part: str) -> str | None:
    """Why one part of an entry path cannot be a file or folder name on Windows, or None."""
    if ":" in part:
        return (f"{part!r} has a ':', which Windows reads as a drive (a path outside the download folder)"
                " or a file's data stream")
    if bad := sorted({char for char in part if char in _WINDOWS_FORBIDDEN}):
        return f"{part!r} has {', '.join(map(repr, bad))}, which Windows does not allow in a name"
    if part.endswith((".", " ")):
        return f"{part!r} ends in a dot or space, which Windows strips, so it would name another file"
    if part.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        return f"{part!r} is a device name on Windows (with any extension), not a file"
    return None


def check_destinations(root: str, destinations: Sequence[tuple[str, str]], *,
                       windows_rules: bool | None = None, folds_names: bool | None = None) -> None:
    """Before a download writes anything: each (entry path, destination relative to `root`)
    is a valid path; none is also a folder another one needs; no name is longer than the file
    system takes; and no folder on the way that already exists is a symlink or a file.
    With Windows' rules (default: WINDOWS_RULES) every part is a name Windows takes; where
    the file system folds case or normalises names (default: probed with names_fold), no two
    destinations are one name there."""
    root = os.path.abspath(root)
    needed: dict[str, str] = {}  # each folder below the root -> the first entry that needs it
    for entry_path, relative in destinations:
        folder = validate_entry_path(relative).rpartition("/")[0]
        while folder and folder not in needed:
            needed[folder] = entry_path
            folder = folder.rpartition("/")[0]
    if WINDOWS_RULES if windows_rules is None else windows_rules:
        _refuse_windows_names(destinations)
    _refuse_files_that_are_folders(destinations, needed)
    if destinations and (names_fold(root) if folds_names is None else folds_names):
        _refuse_folded_clashes(destinations, needed)
    _refuse_names_too_long(root, destinations)
    _refuse_links_and_files_on_the_way(root, needed)


def _refuse_windows_names(destinations: Sequence[tuple[str, str]]) -> None:
    for entry_path, relative in destinations:
        for part in relative.split("/"):
            if problem := windows_part_problem(part):
                raise InvalidPathError(f"entry {entry_path!r} cannot be downloaded on Windows: {problem}")


def folded(name: str) -> str:
    """A name as a case-folding, normalising file system compares it."""
    return unicodedata.normalize("NFC", name).casefold()


def _refuse_folded_clashes(destinations: Sequence[tuple[str, str]], needed: dict[str, str]) -> None:
    seen: dict[str, tuple[str, str]] = {}  # folded destination -> (destination, its entry)
    named = [(relative, entry_path) for entry_path, relative in destinations]
    for relative, entry_path in named + list(needed.items()):
        first = seen.setdefault(folded(relative), (relative, entry_path))
        if first[0] != relative:
            raise InvalidPathError(
                f"entries {first[1]!r} and {entry_path!r} cannot both be downloaded to a file system that"
                f" ignores case or Unicode spelling: {first[0]!r} and {relative!r} are one name there,"
                " and one would overwrite the other; download to a case-sensitive file system, or"
                " download them separately")


def names_fold(root: str) -> bool:
    """Whether the file system where `root` goes folds case or normalises Unicode names: a new
    file in its nearest existing folder, looked up by its case-swapped and its NFD name."""
    folder = _nearest_existing(os.path.abspath(root))
    name = f".artifact-gui-probe-\u00e9-{uuid.uuid4().hex}"  # lower case, and 'é' composed (NFC)
    path = os.path.join(folder, name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:  # not writable: the download will fail anyway; guess by the system
        return sys.platform in ("darwin", "win32")
    try:
        os.close(fd)
        probed = os.lstat(path)
        for other in (name.swapcase(), unicodedata.normalize("NFD", name)):
            try:
                found = os.lstat(os.path.join(folder, other))
            except OSError:
                continue
            if (found.st_dev, found.st_ino) == (probed.st_dev, probed.st_ino):
                return True
        return False
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def _nearest_existing(path: str) -> str:
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


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
    existing = _nearest_existing(root)
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
        if WINDOWS_RULES:  # check_destinations refused these; a drive in a part would drop the root
            _refuse_windows_names([(entry_path or relative, relative)])
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
