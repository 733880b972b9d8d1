"""Listing a folder's files for an artifact, with errors that name the file and the fix."""

from __future__ import annotations

import os
from collections.abc import Iterator


def walk_files(root: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """(physical path, relative POSIX path, stat) of every file under `root`, following
    symlinks. Refuses a name that is not UTF-8 (entry paths are UTF-8 text) and a symlink
    that leads back to a folder it is inside (a loop), naming the file or the link."""
    ancestors = {root: {_identity(root)}}
    for folder, dirs, files in os.walk(root, followlinks=True, onerror=_raise):
        relative_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in dirs:
            child = os.path.join(folder, name)
            identity = _identity(child)
            if identity in ancestors[folder]:
                raise ValueError(f"cannot add {child!r}: it links back to a folder it is inside"
                                 f" ({os.path.realpath(child)!r}), a symlink loop; remove or replace that link")
            ancestors[child] = ancestors[folder] | {identity}
        for name in files:
            physical = os.path.join(folder, name)
            relative = name if relative_folder == "." else f"{relative_folder}/{name}"
            _require_utf8(physical, relative)
            try:
                stat = os.stat(physical)
            except OSError as error:
                raise ValueError(f"cannot add {physical!r}: {error.strerror}") from error
            yield physical, relative, stat


def _identity(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _require_utf8(physical: str, relative: str) -> None:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"cannot add {os.fsencode(physical)!r}: its name is not valid UTF-8, and entry paths are"
            " UTF-8 text; rename the file (e.g. with 'convmv'), or add it with add_file(path, name=...)"
        ) from None


def _raise(error: OSError) -> None:
    raise ValueError(f"cannot add {error.filename!r}: {error.strerror}") from error
