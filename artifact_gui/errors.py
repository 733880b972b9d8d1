"""W&B's error classes (`wandb.errors`), so `except wandb.errors.CommError:` keeps working
with `import artifact_gui as wandb`.

As in wandb 0.31: a missing artifact and a refused delete reach the caller as `CommError`
(the public API wraps every backend failure in it), a misuse of the SDK as `UsageError`.
Our store errors subclass these (stores/base.py), so both spellings catch them.
"""

from __future__ import annotations


class Error(Exception):
    """Base W&B Error."""

    def __init__(self, message: str = "", context: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.context = context or {}


class CommError(Error):
    """W&B: error communicating with the server. Here: any store operation that failed."""

    def __init__(self, msg: str = "", exc: Exception | None = None) -> None:
        super().__init__(msg)
        self.exc = exc


class AuthenticationError(CommError):
    """The store (a server) refused the credentials."""


class UsageError(Error):
    """An invalid use of the SDK."""


class UnsupportedError(UsageError):
    """A W&B feature that has no meaning for a local or self-hosted store."""


__all__ = ["AuthenticationError", "CommError", "Error", "UnsupportedError", "UsageError"]
