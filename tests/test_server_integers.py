"""Integers from clients are bounded where the server reads them (a real server on 127.0.0.1):
a number past 64 bits in a path, a query or a JSON body is a 400 invalid_value with no
traceback, and the keep-alive connection goes on serving; a failure nobody foresaw is one
500 and one traceback, and the connection goes on serving too."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

import artifact_gui as ag
from artifact_gui.server.app import AREAS
from tests.test_server_hardening import API, read_answer

HUGE = 99999999999999999999999
JUST_PAST = 2**63  # one past the largest BIGINT


@pytest.fixture
def served(server):
    with ag.init("p", store=server.store) as run:
        artifact = ag.Artifact("data", "dataset")
        with artifact.new_file("a.txt") as f:
            f.write("x")
        run.log_artifact(artifact)
    return server


@pytest.fixture
def errors_logged(caplog):
    caplog.set_level(logging.INFO)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def keep_alive_requests(server, requests: list[tuple[str, str, bytes]]) -> list[tuple[int, dict]]:
    """Send `requests` one after another on one connection; each answer before the next request."""
    answers = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for method, path, body in requests:
            head = (f"{method} {API}/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {server.write_token}"
                    f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
            sock.sendall(head.encode() + body)
            answers.append(read_answer(sock))
    return answers


BAD_REQUESTS = [
    ("GET", f"versions/{HUGE}", b""),
    ("GET", f"versions/{JUST_PAST}/entries", b""),
    ("GET", f"projects/p/artifacts/data/versions/v{HUGE}", b""),
    ("GET", f"projects/p/artifacts/data/versions?offset={HUGE}", b""),
    ("GET", f"projects/p/artifacts/data/versions?limit={JUST_PAST}", b""),
    ("GET", f"projects/p/artifacts/data/versions-before?limit=10&before_index={HUGE}", b""),
    ("POST", "bytes-freed", f'{{"version_ids": [{HUGE}]}}'.encode()),
    ("POST", "cleanup/plan", f'{{"keep_newest": {HUGE}}}'.encode()),
    ("POST", "trash", f'{{"version_ids": [{JUST_PAST}]}}'.encode()),
    ("POST", "trash/empty", f'{{"version_ids": [{HUGE}]}}'.encode()),
    ("PUT", "versions/1/ttl", f'{{"ttl_seconds": {HUGE}}}'.encode()),
]


@pytest.mark.parametrize("method, path, body", BAD_REQUESTS)
def test_an_integer_past_64_bits_is_invalid_value_and_the_connection_serves_on(served, errors_logged,
                                                                                 method, path, body):
    (status, answer), (after, _) = keep_alive_requests(served, [(method, path, body), ("GET", "versions/1", b"")])
    assert (status, answer["code"]) == (400, "invalid_value"), answer
    assert after == 200
    assert not errors_logged()


def test_every_integer_path_and_query_parameter_is_bounded(served, errors_logged):
    """Every route, present and future: its integer parameters past 64 bits are refused."""
    checked = 0
    with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {served.write_token}"}) as client:
        for route in (route for area in AREAS for route in area.router.routes):
            path_ints = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
            query_ints = {p.alias: JUST_PAST for p in route.dependant.query_params
                          if p.field_info.annotation in (int, int | None)}
            if not path_ints and not query_ints:
                continue
            url = route.path_format.format(**{p.name: (JUST_PAST if p.name in path_ints else "x")
                                             for p in route.dependant.path_params})
            for method in route.methods:
                answer = client.request(method, url, params=query_ints, json={})  # other fields may be missing
                assert answer.status_code in (400, 422), (method, url, answer.text)
                assert f"less than or equal to {JUST_PAST - 1}" in answer.json()["detail"], (method, url, answer.text)
                checked += 1
    assert checked > 15
    assert not errors_logged()


def test_an_unforeseen_failure_is_one_500_and_one_traceback_and_the_connection_serves_on(served, caplog,
                                                                                          monkeypatch):
    caplog.set_level(logging.INFO)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(served.store), "stats", broken)
    (status, answer), (after, _) = keep_alive_requests(served, [("GET", "stats", b""), ("GET", "versions/1", b"")])
    assert (status, answer["code"]) == (500, "internal") and after == 200
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "GET /api/v1/stats" in tracebacks[0].getMessage()
