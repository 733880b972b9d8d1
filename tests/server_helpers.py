"""A real uvicorn server on 127.0.0.1 with an ephemeral port, over a real LocalStore."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from artifact_gui.server.app import create_app
from artifact_gui.server.tokens import TokenRegistry
from artifact_gui.stores import LocalStore


class RunningServer:
    def __init__(self, store_path: str, allow_anonymous_read: bool = False, port: int = 0, new_tokens: bool = True,
                 **app_options):
        self.store = LocalStore(store_path, create=True)
        self.tokens = TokenRegistry(self.store.location)
        if new_tokens:  # a restarted server keeps the tokens it had
            self.write_token = self.tokens.create("writer")
            self.read_token = self.tokens.create("reader", read_only=True)
        self.app = create_app(self.store, self.tokens, allow_anonymous_read, **app_options)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
        self.store.close()
