"""`verify`'s check of the database's values: every row of every table by the rules the stores
apply when they read a row (local_rows.COLUMN_RULES, local_rows.checked_entry), so what makes
`ls` or `cleanup` refuse a store is also what `verify` names, row by row.

Shared by LocalStore (SQLite) and TeamStore (PostgreSQL): plain SELECTs, read a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

from .base import DamagedStoreError
from .local_rows import COLUMN_RULES, StoredRow, checked_entry
from .shared_manifests import ENTRY_COLUMNS

PAGE_ROWS = 5000
BAD_VALUES_SHOWN = 20  # per table; the count says how many more


def damaged_values(connection, root: str) -> list[str]:
    """One message per bad value (the first BAD_VALUES_SHOWN of each table, then a count)."""
    problems: list[str] = []
    for table, (key, rules) in COLUMN_RULES.items():
        problems += _first_shown(table, _table_problems(connection, root, table, key, list(rules)))
    problems += _first_shown("entries", _entry_problems(connection, root))
    return problems


def _first_shown(table: str, found: Iterator[str]) -> list[str]:
    shown = []
    hidden = 0
    for problem in found:
        if len(shown) < BAD_VALUES_SHOWN:
            shown.append(problem)
        else:
            hidden += 1
    if hidden:
        shown.append(f"{hidden} more invalid values in table {table}")
    return shown


def _table_problems(connection, root: str, table: str, key: str, columns: list[str]) -> Iterator[str]:
    for row in _pages(connection, f"SELECT {key}, {', '.join(columns)} FROM {table}", key):
        stored = StoredRow(root, table, row[0])
        for column, value in zip(columns, row[1:]):
            try:
                stored.check(column, value)
            except DamagedStoreError as error:
                yield str(error)


def _entry_problems(connection, root: str) -> Iterator[str]:
    sql = f"SELECT version_id, {ENTRY_COLUMNS} FROM entries"
    for row in _pages(connection, sql, "version_id, path"):
        try:
            checked_entry(root, row[1:])
        except DamagedStoreError as error:
            yield f"{error} (version id {row[0]})"


def _pages(connection, select: str, key: str) -> Iterator[tuple]:
    """Every row of `select`, PAGE_ROWS at a time in `key` order (one key column or two)."""
    keys = [k.strip() for k in key.split(",")]
    after: tuple | None = None
    while True:
        where = "" if after is None else f" WHERE ({', '.join(keys)}) > ({', '.join('?' * len(keys))})"
        rows = connection.execute(f"{select}{where} ORDER BY {key} LIMIT {PAGE_ROWS}", after or ()).fetchall()
        yield from rows
        if len(rows) < PAGE_ROWS:
            return
        after = tuple(rows[-1][:len(keys)])
