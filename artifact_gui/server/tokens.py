"""API tokens of a server: kept only as SHA-256 hashes, compared in constant time.

They live in `tokens.db` beside the store they guard: they belong to serving the store,
not to the store itself. A team store's server keeps nothing on its own disk: its tokens are a
table of the store's database (`DatabaseTokenRegistry`), so every server process knows them."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

TOKEN_PREFIX = "agt_"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    read_only INTEGER NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
)
"""


@dataclass(frozen=True)
class TokenInfo:
    name: str
    read_only: bool
    created_at: float
    revoked: bool


def _create_private(path: str) -> None:
    """The token file readable by its owner only, whatever the umask (SQLite gives its
    journal files the database's mode)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRegistry:
    @staticmethod
    def for_store(store) -> "TokenRegistry":
        """The registry of the server of `store`: in its database for a team store, else
        in tokens.db in its folder."""
        connect = getattr(store, "connect_database", None)
        return DatabaseTokenRegistry(connect) if connect is not None else TokenRegistry(store.location)

    def __init__(self, store_folder: str):
        self.path = os.path.join(store_folder, "tokens.db")
        _create_private(self.path)
        with self._db() as db:
            db.execute(_SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction, closed after it (so nothing lingers in a WAL)."""
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def create(self, name: str, read_only: bool = False) -> str:
        """A new token, returned once: only its hash is kept."""
        if not name or len(name) > 128:
            raise ValueError(f"invalid token name {name!r}: 1-128 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self._db() as db:
                db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, NULL)", (name, _hash(token), int(read_only), time.time()))
        except sqlite3.IntegrityError:
            raise ValueError(f"a token named {name!r} exists already; revoke it or choose another name") from None
        return token

    def list(self) -> list[TokenInfo]:
        with self._db() as db:
            rows = db.execute("SELECT name, read_only, created_at, revoked_at FROM tokens ORDER BY created_at").fetchall()
        return [TokenInfo(r[0], bool(r[1]), r[2], r[3] is not None) for r in rows]

    def revoke(self, name: str) -> None:
        with self._db() as db:
            if not db.execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                              (time.time(), name)).rowcount:
                raise ValueError(f"no active token named {name!r}")

    def check(self, token: str) -> TokenInfo | None:
        """The token's record if it is known, in constant time per comparison (a revoked
        token's record says so, so the server can tell the client which it is)."""
        digest = _hash(token)
        with self._db() as db:
            rows = db.execute("SELECT name, token_hash, read_only, created_at, revoked_at FROM tokens").fetchall()
        match = None
        for name, stored, read_only, created_at, revoked_at in rows:  # no early exit
            if hmac.compare_digest(stored, digest):
                match = TokenInfo(name, bool(read_only), created_at, revoked_at is not None)
        return match


class DatabaseTokenRegistry(TokenRegistry):
    """Tokens in a team store's database (its schema made the table). One connection, used by
    one request at a time: a token check is one short query."""

    def __init__(self, connect: Callable[[], object]):
        self._connect = connect
        self._connection = None
        self._lock = threading.Lock()

    def check(self, token: str) -> TokenInfo | None:
        """As TokenRegistry's; once more on a new connection when a database restart cut the
        one it had (a check changes nothing, so running it twice is safe)."""
        for attempt in (1, 2):
            try:
                return super().check(token)
            except Exception:
                if attempt == 2 or self._connection is None or not self._connection.lost:
                    raise
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def _db(self) -> Iterator[object]:
        with self._lock:
            if self._connection is None or self._connection.lost:  # a database restart dropped it
                self._connection = self._connect()
            connection = self._connection
            connection.execute("BEGIN")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                if not connection.lost and connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
