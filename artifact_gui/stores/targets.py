"""Which store a command or a server opens: a folder or URL, or a team store's database and bucket.

`--store PATH_OR_URL` (or $ARTIFACT_GUI_STORE) names a folder or a server; `--database
postgresql://…` with `--blobs s3://bucket/prefix` [`--s3-endpoint URL`] (or
$ARTIFACT_GUI_DATABASE, $ARTIFACT_GUI_BLOBS, $ARTIFACT_GUI_S3_ENDPOINT) names a TeamStore.
Secrets are never part of a target: the database password comes from the URL (which only
the command line or environment holds), PGPASSFILE or PGPASSWORD; S3 credentials from boto3's
chain."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .base import Store
from .database_urls import redacted

DATABASE_ENV = "ARTIFACT_GUI_DATABASE"
BLOBS_ENV = "ARTIFACT_GUI_BLOBS"
S3_ENDPOINT_ENV = "ARTIFACT_GUI_S3_ENDPOINT"


@dataclass(frozen=True)
class StoreTarget:
    path: str | None = None  # a folder or an http(s):// URL
    database: str | None = None
    blobs: str | None = None
    s3_endpoint: str | None = None

    @classmethod
    def from_options(cls, path: str | None = None, database: str | None = None, blobs: str | None = None,
                     s3_endpoint: str | None = None, environ: Mapping[str, str] = os.environ) -> StoreTarget:
        """Options given win over the environment; a path given leaves the team variables aside."""
        if path is None:
            database = database or environ.get(DATABASE_ENV) or None
            blobs = blobs or environ.get(BLOBS_ENV) or None
        s3_endpoint = s3_endpoint or environ.get(S3_ENDPOINT_ENV) or None
        target = cls(path, database, blobs, s3_endpoint)
        target.check()
        return target

    @classmethod
    def parse(cls, text: str, s3_endpoint: str | None = None) -> StoreTarget:
        """A folder or server URL, or a team store as one string: postgresql://…#s3://bucket/prefix
        (a database URL has no fragment of its own: '#' in a password is written %23)."""
        if text.startswith(("postgresql://", "postgres://")):
            database, hash_sign, blobs = text.partition("#")
            if not hash_sign:
                raise ValueError(f"team store {redacted(text)!r} lacks its bucket: write postgresql://…#s3://bucket/prefix")
            target = cls(None, database, blobs, s3_endpoint)
        else:
            target = cls(text, s3_endpoint=s3_endpoint)
        target.check()
        return target

    @property
    def is_team(self) -> bool:
        return bool(self.database or self.blobs)

    def check(self) -> None:
        if self.is_team and self.path:
            raise ValueError(f"give either a store ({self.path!r}) or --database and --blobs, not both")
        if self.is_team and not (self.database and self.blobs):
            given, lacking = ("--database", "--blobs") if self.database else ("--blobs", "--database")
            raise ValueError(f"{given} needs {lacking} too: a team store is a PostgreSQL database and an S3 bucket")
        if self.database and not self.database.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"invalid --database {self.database!r}: expected a postgresql:// URL")
        if self.blobs and not self.blobs.startswith("s3://"):
            raise ValueError(f"invalid --blobs {self.blobs!r}: expected s3://bucket/prefix")

    def open(self, create: bool = False, default_path: str | None = None) -> Store:
        if self.is_team:
            from .team import TeamStore  # psycopg and boto3 load only for a team store

            return TeamStore(self.database, self.blobs, self.s3_endpoint, create=create)
        from . import default_store_location, open_store

        return open_store(self.path or default_path or default_store_location(), create=create)

    def describe(self) -> str:
        """Where the store is, for people: a team store's database URL without its password."""
        return f"{redacted(self.database)} + {self.blobs}" if self.is_team else (self.path or "")

    def environment(self) -> dict[str, str]:
        """The variables that name this target (a team store), for processes started to serve it."""
        values = {DATABASE_ENV: self.database, BLOBS_ENV: self.blobs, S3_ENDPOINT_ENV: self.s3_endpoint}
        return {name: value for name, value in values.items() if value}
