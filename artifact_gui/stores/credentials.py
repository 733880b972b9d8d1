"""Where the token for each server lives: the one place that reads and writes tokens.

A token belongs to the server URL it was issued for. It is kept in the OS keyring (never a
settings file), or for this session only when no secure keyring exists here; keyring
backends that keep secrets in plain text (keyrings.alt) are refused unless the user opts in.
`$ARTIFACT_GUI_API_KEY` is used for the server named in `$ARTIFACT_GUI_SERVER`; with no
server named it is used with a warning, and never for another server."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

TOKEN_ENV = "ARTIFACT_GUI_API_KEY"
SERVER_ENV = "ARTIFACT_GUI_SERVER"
ALLOW_PLAINTEXT_ENV = "ARTIFACT_GUI_ALLOW_PLAINTEXT_KEYRING"
KEYRING_SERVICE = "artifact-gui"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    value: str
    source: str  # where it came from, for people: "the OS keyring (SecretService)", "this session", ...


def server_key(url: str) -> str:
    """The form of a server URL tokens are filed under."""
    return url.strip().rstrip("/")


def plain_http_warning(url: str) -> str | None:
    """A warning when a token sent to `url` would cross a network unencrypted, else None."""
    parsed = urlparse(url)
    if parsed.scheme != "http" or _is_loopback(parsed.hostname or ""):
        return None
    return (f"{server_key(url)} uses plain http: the token and the data travel unencrypted to"
            f" {parsed.hostname}; use an https URL for a server on another machine")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _backend_name(backend: object) -> str:
    return getattr(backend, "name", None) or type(backend).__name__


def _keyring_problem(backend: object, allow_plaintext: bool) -> str | None:
    """Why this keyring backend may not hold tokens, or None when it may."""
    from keyring.backends import chainer, fail

    if isinstance(backend, chainer.ChainerBackend):  # writes go to its first backend
        return _keyring_problem(backend.backends[0], allow_plaintext) if backend.backends else "no keyring backend"
    if isinstance(backend, fail.Keyring) or type(backend).__module__ == "keyring.backends.null":
        return "no OS keyring is available here"
    plaintext = type(backend).__module__.startswith("keyrings.alt") or "plaintext" in type(backend).__name__.lower()
    if plaintext and not allow_plaintext:
        return (f"the only keyring here ({_backend_name(backend)}) keeps tokens in a plain file;"
                f" set {ALLOW_PLAINTEXT_ENV}=1 to use it anyway")
    return None


class Credentials:
    """get/set/forget a token per server URL. Tokens given for this session only stay in
    this object, so use one per process (`default_credentials()`)."""

    def __init__(self, environ: Mapping[str, str] | None = None, allow_plaintext: bool | None = None):
        self._environ = os.environ if environ is None else environ
        self._allow_plaintext = (self._environ.get(ALLOW_PLAINTEXT_ENV, "") not in ("", "0")
                                 if allow_plaintext is None else allow_plaintext)
        self._session: dict[str, str] = {}

    def keyring_problem(self) -> str | None:
        """Why tokens cannot go to the OS keyring here, or None."""
        try:
            import keyring

            return _keyring_problem(keyring.get_keyring(), self._allow_plaintext)
        except Exception as error:  # noqa: BLE001 - a broken keyring setup is "no keyring"
            return f"the OS keyring cannot be used ({error})"

    def get(self, url: str) -> Token | None:
        key = server_key(url)
        environment_token = self._environ.get(TOKEN_ENV)
        bound_server = self._environ.get(SERVER_ENV)
        if environment_token and bound_server and server_key(bound_server) == key:
            return Token(environment_token, f"${TOKEN_ENV}")
        if key in self._session:
            return Token(self._session[key], "this session")
        stored = self._from_keyring(key)
        if stored is not None:
            return stored
        if environment_token and not bound_server:
            log.warning("sending $%s to %s; set $%s=%s to bind the token to this server", TOKEN_ENV, key,
                        SERVER_ENV, key)
            return Token(environment_token, f"${TOKEN_ENV}")
        return None

    def _from_keyring(self, key: str) -> Token | None:
        if self.keyring_problem() is not None:
            return None
        try:
            import keyring

            value = keyring.get_password(KEYRING_SERVICE, key)
        except Exception:  # noqa: BLE001 - an unusable keyring holds nothing
            return None
        return Token(value, f"the OS keyring ({_backend_name(keyring.get_keyring())})") if value else None

    def set(self, url: str, token: str, remember: bool = True) -> str:
        """Keep `token` for `url`: in the OS keyring when `remember` and a secure one exists,
        else for this session. Returns a sentence saying where it went."""
        key = server_key(url)
        if not remember:
            self._session[key] = token
            return "The token is kept for this session only."
        problem = self.keyring_problem()
        if problem is None:
            try:
                import keyring

                keyring.set_password(KEYRING_SERVICE, key, token)
                self._session.pop(key, None)
                return (f"The token is stored in the OS keyring ({_backend_name(keyring.get_keyring())},"
                        f" service {KEYRING_SERVICE!r}).")
            except Exception as error:  # noqa: BLE001 - any keyring failure: session only, and say why
                problem = f"the OS keyring refused it ({error})"
        self._session[key] = token
        return f"The token is kept for this session only: {problem}."

    def forget(self, url: str) -> str:
        key = server_key(url)
        forgotten = self._session.pop(key, None) is not None
        if self.keyring_problem() is None:
            try:
                import keyring

                if keyring.get_password(KEYRING_SERVICE, key) is not None:
                    keyring.delete_password(KEYRING_SERVICE, key)
                    forgotten = True
            except Exception:  # noqa: BLE001 - nothing stored there
                pass
        return f"Forgot the token for {key}." if forgotten else f"No token was kept for {key}."


_DEFAULT: Credentials | None = None


def default_credentials() -> Credentials:
    """The process's credentials (session tokens given in the window live here)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Credentials()
    return _DEFAULT
