"""The question asked before an irreversible step: what goes and the space it frees."""

from __future__ import annotations

from dataclasses import dataclass

import humanize

from ..core.text import counted

MAX_LISTED = 500  # a longer list ends with "… and N more"


@dataclass(frozen=True)
class Confirmation:
    title: str
    question: str  # one sentence: what happens, and that it cannot be undone
    items: tuple[str, ...]  # what goes, one line each
    bytes_freed: int | None  # None: nothing is freed (an alias, a name)
    action: str  # the destructive button's text, e.g. "Delete for Good"

    @property
    def listed(self) -> list[str]:
        shown = list(self.items[:MAX_LISTED])
        if len(self.items) > MAX_LISTED:
            shown.append(f"… and {len(self.items) - MAX_LISTED:,} more")
        return shown

    @property
    def space_text(self) -> str:
        if self.bytes_freed is None:
            return ""
        return (f"This frees {humanize.naturalsize(self.bytes_freed, binary=True)} "
                f"({counted(self.bytes_freed, 'byte')}).")


def empty_trash_confirmation(names: list[str], bytes_freed: int) -> Confirmation:
    return Confirmation(
        title="Empty the Trash",
        question=f"Delete {counted(len(names), 'version')} in the Trash for good? This cannot be undone.",
        items=tuple(names), bytes_freed=bytes_freed, action="Delete for Good")


def remove_alias_confirmation(alias: str, qualified_name: str) -> Confirmation:
    artifact = qualified_name.rpartition(':')[0]
    if alias == "latest":  # W&B: nothing holds it then, and the newest version stands in
        question = (f"Remove 'latest' from {qualified_name}? No version will hold it: code that loads "
                    f"'{artifact}:latest' gets the newest version instead, until a version is logged or "
                    "'latest' is set again.")
    else:
        question = (f"Remove the alias {alias!r} from {qualified_name}? Code that loads "
                    f"'{artifact}:{alias}' will stop finding it.")
    return Confirmation(
        title="Remove alias",
        question=question,
        items=(f"{alias} → {qualified_name}",), bytes_freed=None, action="Remove Alias")


def discard_staged_confirmation(title: str, sources: list[str]) -> Confirmation:
    return Confirmation(
        title="Discard the new version",
        question=f"Discard {title!r} with everything added and typed for it? Nothing was logged; "
                 "the files themselves stay where they are.",
        items=tuple(sources), bytes_freed=None, action="Discard")
