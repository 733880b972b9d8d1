"""One Credentials object: tokens per server URL, a session fallback, where each token went,
no plaintext keyring without consent, and the environment token bound to its server
(issues 9.19, 9.21, 13.3). No OS keyring service can run here: in-memory stand-ins play
a secure backend and a plaintext one (its module name is what marks keyrings.alt)."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring

from artifact_gui.stores.credentials import (
    ALLOW_PLAINTEXT_ENV,
    KEYRING_SERVICE,
    SERVER_ENV,
    TOKEN_ENV,
    Credentials,
    plain_http_warning,
)

URL = "http://127.0.0.1:8765"


class SecureKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


PlaintextKeyring = type("PlaintextKeyring", (SecureKeyring,), {"__module__": "keyrings.alt.file"})


@pytest.fixture
def use_keyring():
    previous = keyring.get_keyring()

    def use(backend):
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


def test_set_get_forget_per_server_and_says_where(use_keyring):
    backend = use_keyring(SecureKeyring())
    credentials = Credentials(environ={})
    where = credentials.set(URL + "/", "agt_a")
    assert "OS keyring" in where and KEYRING_SERVICE in where
    assert backend.secrets == {(KEYRING_SERVICE, URL): "agt_a"}
    assert credentials.get(URL).value == "agt_a" and "OS keyring" in credentials.get(URL).source
    assert credentials.get("http://127.0.0.1:9999") is None  # another server gets nothing
    assert "Forgot" in credentials.forget(URL)
    assert credentials.get(URL) is None and backend.secrets == {}


def test_a_plaintext_keyring_is_refused_unless_the_user_opts_in(use_keyring):
    backend = use_keyring(PlaintextKeyring())
    refusing = Credentials(environ={})
    where = refusing.set(URL, "agt_a")
    assert "session only" in where and "plain file" in where and ALLOW_PLAINTEXT_ENV in where
    assert backend.secrets == {}
    assert refusing.get(URL).source == "this session"
    consenting = Credentials(environ={ALLOW_PLAINTEXT_ENV: "1"})
    assert "OS keyring" in consenting.set(URL, "agt_b")
    assert backend.secrets == {(KEYRING_SERVICE, URL): "agt_b"}


def test_without_a_keyring_tokens_live_for_the_session(use_keyring):
    use_keyring(NoKeyring())
    credentials = Credentials(environ={})
    assert "no OS keyring is available here" in credentials.set(URL, "agt_a")
    assert credentials.get(URL).value == "agt_a"
    assert credentials.set(URL, "agt_b", remember=False) == "The token is kept for this session only."


def test_the_environment_token_goes_only_to_its_server(use_keyring, caplog):
    use_keyring(NoKeyring())
    bound = Credentials(environ={TOKEN_ENV: "agt_env", SERVER_ENV: URL + "/"})
    assert bound.get(URL).value == "agt_env"
    assert bound.get("http://other:8765") is None
    unbound = Credentials(environ={TOKEN_ENV: "agt_env"})
    with caplog.at_level(logging.WARNING):
        assert unbound.get("http://other:8765").value == "agt_env"
    assert any(SERVER_ENV in r.getMessage() for r in caplog.records)


def test_plain_http_to_another_machine_is_warned_about(caplog):
    from artifact_gui.stores.remote import RemoteStore

    assert plain_http_warning("http://127.0.0.1:8765") is None
    assert plain_http_warning("http://localhost:8765") is None
    assert plain_http_warning("https://example.org") is None
    assert "unencrypted" in plain_http_warning("http://example.org:8765")
    with caplog.at_level(logging.WARNING):
        RemoteStore("http://example.org:8765", token="agt_x").close()  # nothing is sent before a call
    assert any("unencrypted" in r.getMessage() for r in caplog.records)
