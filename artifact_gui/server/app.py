"""The HTTP API over any Store (FastAPI), versioned under /api/v1.

Reads need a read or read-write token (or none with --allow-anonymous-read), writes a
read-write token; the guard (guard.py) decides from the headers before any body is read.
Routes live in routes/ by area and speak the schema in stores/wire.py. Content goes up
streamed and verified (size and md5) before it becomes visible, and comes down with HTTP
Range support so clients resume. Every error is an `ErrorBody` JSON (errors.py)."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from .._version import __version__
from ..stores import STORE_ENV
from ..stores.base import Store
from ..stores.targets import StoreTarget
from ..stores.wire import API_PREFIX
from .errors import ERROR_RESPONSES, LastResort, install_error_handlers
from .guard import Guard
from .request_log import RequestLog
from .routes import blobs, browse, direct, maintenance, runs, versions
from .tokens import TokenRegistry
from .upkeep import Upkeep

log = logging.getLogger(__name__)

API = API_PREFIX
MAX_JSON_BYTES = 512 << 20  # a manifest of a million entries is about 150 MB of JSON
BODY_TIMEOUT = 60.0  # seconds a client may go silent in the middle of a request body
MAX_BODY_REQUESTS_PER_CLIENT = 16  # uploads and other requests with a body, at once, per client address
PORTS = range(1, 65536)
ANONYMOUS_READ_ENV = "ARTIFACT_GUI_SERVE_ANONYMOUS_READ"  # for worker processes
PROXY_TRANSFERS_ENV = "ARTIFACT_GUI_SERVE_PROXY_TRANSFERS"
AREAS = (browse, versions, runs, maintenance, blobs, direct)


def create_app(store: Store, tokens: TokenRegistry | None, allow_anonymous_read: bool = False,
               max_json_bytes: int = MAX_JSON_BYTES, body_timeout: float = BODY_TIMEOUT,
               max_body_requests_per_client: int = MAX_BODY_REQUESTS_PER_CLIENT,
               direct_transfers: bool = True) -> FastAPI:
    """`direct_transfers`: hand clients presigned bucket URLs for large blobs (a team store
    only); False (--proxy-transfers) when clients cannot reach the bucket."""
    app = FastAPI(title="artifact-gui store API", version=__version__,
                  description="Versioned ML artifacts with W&B Artifacts semantics.", openapi_url=f"{API}/openapi.json",
                  docs_url=f"{API}/docs")
    app.state.store = store
    app.state.direct_transfers = direct_transfers
    install_error_handlers(app)
    for area in AREAS:
        app.include_router(area.router, responses=ERROR_RESPONSES)
    app.add_middleware(LastResort)  # added first, so innermost: inside the guard, around the routes
    app.add_middleware(Guard, routes=[route for area in AREAS for route in area.router.routes], tokens=tokens, allow_anonymous_read=allow_anonymous_read,
                       max_json_bytes=max_json_bytes, body_timeout=body_timeout,
                       max_body_requests_per_client=max_body_requests_per_client)
    app.add_middleware(RequestLog)  # added last, so outermost: it sees the guard's refusals too
    return app


def check_port(port: int) -> int:
    if port not in PORTS:
        raise ValueError(f"invalid port {port}: a port is a number from 1 to 65535")
    return port


def serve(target: StoreTarget, host: str = "127.0.0.1", port: int = 8765, allow_anonymous_read: bool = False,
          log_level: str = "INFO", workers: int = 1, proxy_transfers: bool = False) -> None:
    """Serve `target` in this process, or in `workers` processes that each open it (what a team
    store, whose state is all in its database and bucket, is made for)."""
    import uvicorn

    check_port(port)
    if workers < 1:
        raise ValueError(f"invalid number of workers {workers}: at least 1")
    if workers > 1:
        # each worker process builds its app from these (uvicorn starts them afresh)
        os.environ.update(target.environment())
        if target.path:
            os.environ[STORE_ENV] = target.path
        os.environ[ANONYMOUS_READ_ENV] = "1" if allow_anonymous_read else ""
        os.environ[PROXY_TRANSFERS_ENV] = "1" if proxy_transfers else ""
        uvicorn.run(f"{__name__}:app_from_environment", factory=True, workers=workers, host=host, port=port,
                    log_level=log_level.lower(), access_log=False)
        return
    store = target.open()
    upkeep = Upkeep(store).start()  # stale temp files and abandoned runs, at start and hourly
    app = create_app(store, TokenRegistry.for_store(store), allow_anonymous_read,
                     direct_transfers=not proxy_transfers)
    try:
        # uvicorn's access log prints query strings; RequestLog logs each request without them.
        uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), access_log=False)
    finally:
        upkeep.stop()


def app_from_environment() -> FastAPI:
    """The app of one worker process of `serve(..., workers=N)`: the store named by the
    environment ($ARTIFACT_GUI_DATABASE + $ARTIFACT_GUI_BLOBS, else $ARTIFACT_GUI_STORE)."""
    store = StoreTarget.from_options().open()
    Upkeep(store).start()  # a daemon thread, ended with the worker process
    return create_app(store, TokenRegistry.for_store(store), bool(os.environ.get(ANONYMOUS_READ_ENV)),
                      direct_transfers=not os.environ.get(PROXY_TRANSFERS_ENV))
