"""Validation of the names a store accepts, with errors that name the value and the rule."""

from __future__ import annotations

import re
from collections.abc import Iterable
from posixpath import normpath

ARTIFACT_NAME_MAX = 128
ALIAS_MAX = 128
_ARTIFACT_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_VERSION_ALIAS = re.compile(r"v[0-9]+")
INT64_MAX = 2**63 - 1  # the largest integer SQLite and PostgreSQL's BIGINT hold: no id, index or size is larger


class InvalidNameError(ValueError):
    """A name, type, alias or path broke one of the store's rules."""


class InvalidArtifactNameError(InvalidNameError):
    pass


class InvalidTypeError(InvalidNameError):
    pass


class InvalidAliasError(InvalidNameError):
    pass


class InvalidPathError(InvalidNameError):
    pass


class InvalidProjectError(InvalidNameError):
    pass


class InvalidTagError(InvalidNameError):
    pass


# W&B's rule (wandb/sdk/artifacts/_validators.py TAG_REGEX): words of letters, digits, '_'
# or '-', separated by single or repeated spaces.
_TAG = re.compile(r"[-\w]+( +[-\w]+)*")


_DOT_NAMES = (".", "..")  # they change meaning in a path or a URL: "a/.." is "", not a thing called ".."


def _refuse_dot_name(value: object, what: str, error: type[InvalidNameError]) -> None:
    if value in _DOT_NAMES:
        raise error(f"invalid {what} {value!r}: '.' and '..' cannot be names (in a path or URL they mean a folder)")


def validate_artifact_name(name: str) -> str:
    _refuse_dot_name(name, "artifact name", InvalidArtifactNameError)
    if not isinstance(name, str) or not _ARTIFACT_NAME.fullmatch(name):
        raise InvalidArtifactNameError(
            f"invalid artifact name {name!r}: names may contain only letters, digits, '_', '-' and '.'"
        )
    if len(name) > ARTIFACT_NAME_MAX:
        raise InvalidArtifactNameError(
            f"invalid artifact name {name!r}: names may be at most {ARTIFACT_NAME_MAX} characters"
        )
    return name


def validate_project_name(name: str) -> str:
    """Projects follow the artifact-name rule: they become path and URL segments."""
    _refuse_dot_name(name, "project", InvalidProjectError)
    if not isinstance(name, str) or not _ARTIFACT_NAME.fullmatch(name) or len(name) > ARTIFACT_NAME_MAX:
        raise InvalidProjectError(
            f"invalid project {name!r}: projects are 1-{ARTIFACT_NAME_MAX} letters, digits, '_', '-' or '.'"
        )
    return name


def validate_type(artifact_type: str) -> str:
    _refuse_dot_name(artifact_type, "artifact type", InvalidTypeError)
    if not isinstance(artifact_type, str) or not artifact_type:
        raise InvalidTypeError(f"invalid artifact type {artifact_type!r}: a type may not be empty")
    if "/" in artifact_type or ":" in artifact_type:
        raise InvalidTypeError(f"invalid artifact type {artifact_type!r}: types may not contain '/' or ':'")
    if len(artifact_type) > ARTIFACT_NAME_MAX:
        raise InvalidTypeError(
            f"invalid artifact type {artifact_type!r}: types may be at most {ARTIFACT_NAME_MAX} characters"
        )
    return artifact_type


def validate_alias(alias: str) -> str:
    if not isinstance(alias, str) or not 1 <= len(alias) <= ALIAS_MAX:
        raise InvalidAliasError(f"invalid alias {alias!r}: aliases are 1-{ALIAS_MAX} characters")
    _refuse_dot_name(alias, "alias", InvalidAliasError)
    if "/" in alias or ":" in alias:
        raise InvalidAliasError(f"invalid alias {alias!r}: aliases may not contain '/' or ':'")
    if is_version_name(alias):
        raise InvalidAliasError(f"invalid alias {alias!r}: 'vN' names a version and is not an alias")
    return alias


def validate_tag(tag: str) -> str:
    if not isinstance(tag, str) or not _TAG.fullmatch(tag) or len(tag) > ALIAS_MAX:
        raise InvalidTagError(
            f"invalid tag {tag!r}: tags are 1-{ALIAS_MAX} letters, digits, '_' or '-', words separated by spaces"
        )
    return tag


def validate_tags(tags: str | Iterable[str]) -> list[str]:
    """A tag list as W&B keeps it: one string is one tag; duplicates dropped, first kept."""
    as_list = [tags] if isinstance(tags, str) else list(tags)
    return [validate_tag(tag) for tag in dict.fromkeys(as_list)]


def validate_aliases(aliases: str | Iterable[str]) -> list[str]:
    """An alias list as W&B takes it: one string is one alias (not its characters)."""
    as_list = [aliases] if isinstance(aliases, str) else list(aliases)
    return [validate_alias(alias) for alias in dict.fromkeys(as_list)]


def casefold_clash(alias: str, others: Iterable[str]) -> str | None:
    """Another alias of the same artifact that differs from `alias` only by case."""
    folded = alias.casefold()
    return next((other for other in others if other != alias and other.casefold() == folded), None)


def is_version_name(selector: str) -> bool:
    return bool(_VERSION_ALIAS.fullmatch(selector))


def version_number(selector: str) -> int:
    """N of a version name 'vN'; ValueError when N is past any index a store can hold."""
    digits = selector[1:]
    if len(digits) > len(str(INT64_MAX)) or int(digits) > INT64_MAX:
        raise ValueError(f"invalid version {selector[:40]!r}: a version number is at most {INT64_MAX}")
    return int(digits)


def validate_entry_path(path: str) -> str:
    """Entry paths are relative POSIX paths with no empty, '.' or '..' parts."""
    if is_valid_entry_path(path):
        return path
    if not isinstance(path, str) or not path:
        raise InvalidPathError(f"invalid entry path {path!r}: a path may not be empty")
    if path.startswith("/"):
        raise InvalidPathError(f"invalid entry path {path!r}: paths must be relative")
    if "\\" in path or "\x00" in path:
        raise InvalidPathError(f"invalid entry path {path!r}: paths use '/' and contain no NUL")
    raise InvalidPathError(f"invalid entry path {path!r}: paths may not have empty, '.' or '..' parts")


def is_valid_entry_path(path: object) -> bool:
    """validate_entry_path's rules as a few substring searches (a version may hold a million
    paths; splitting each into parts cost more than the rest of its validation)."""
    if not isinstance(path, str) or not path or path[0] == "/" or "\\" in path or "\x00" in path:
        return False
    framed = f"/{path}/"
    return "//" not in framed and "/./" not in framed and "/../" not in framed


def to_entry_path(name: str) -> str:
    """Normalise a user-given entry name ('./a//b' -> 'a/b', OS separators -> '/') then validate it."""
    if is_valid_entry_path(name):
        return name  # already normal: a folder's 100,000 paths skip normpath
    candidate = name.replace("\\", "/") if isinstance(name, str) else name
    if isinstance(candidate, str) and candidate and not candidate.startswith("/"):
        collapsed = normpath(candidate)
        if not collapsed.startswith("..") and collapsed != ".":
            candidate = collapsed
    return validate_entry_path(candidate)


def parse_artifact_ref(ref: str, default_project: str | None = None) -> tuple[str, str, str]:
    """Split 'project/name:selector' (project and selector optional) into its three parts."""
    if not isinstance(ref, str) or not ref:
        raise InvalidNameError(f"invalid artifact reference {ref!r}: expected 'project/name:alias'")
    path, _, selector = ref.partition(":")
    parts = path.split("/")
    if len(parts) > 2 and parts[-3]:  # entity/project/name: entity has no meaning here
        parts = parts[-2:]
    if len(parts) == 2:
        project, name = parts
    elif default_project:
        project, name = default_project, parts[0]
    else:
        raise InvalidNameError(f"invalid artifact reference {ref!r}: expected 'project/name:alias'")
    validate_project_name(project)
    validate_artifact_name(name)
    selector = selector or "latest"
    if not is_version_name(selector) and selector != "latest":
        validate_alias(selector)
    return project, name, selector
