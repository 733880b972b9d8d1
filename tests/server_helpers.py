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
    def __init__(self, store_path: str | None, allow_anonymous_read: bool = False, port: int = 0, new_tokens: bool = True,
                 store=None, **app_options):
        """Serves a new LocalStore at `store_path`, or `store` (closed by `stop()` too)."""
        self.store = store if store is not None else LocalStore(store_path, create=True)
        self.tokens = TokenRegistry.for_store(self.store)
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


class FreezableProxy:
    """A TCP proxy on 127.0.0.1 in front of a test server, for faults a loopback server
    cannot show by itself: after `freeze_after` bytes from clients it stops passing bytes
    on (a server that stopped answering: the client blocks in a send); `cut()` drops every
    connection and stops listening (a killed server); `listen_again()` takes the same port."""

    def __init__(self, upstream_port: int, freeze_after: int | None = None):
        self.upstream_port = upstream_port
        self.freeze_after = freeze_after
        self.client_bytes = 0  # bytes clients sent through the proxy
        self.frozen = threading.Event()
        self._flowing = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._cut = False
        self.port = 0
        self.listen_again()
        self.url = f"http://127.0.0.1:{self.port}"

    def listen_again(self) -> None:
        self._cut = False
        self.frozen.clear()
        self._flowing.set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        self._cut = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept (a bare close would not)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._flowing.set()  # pumps waiting at the freeze notice the cut and end

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._cut:
                client.close()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                self._flowing.wait()
                if self._cut:
                    return
                target.sendall(data)
                if from_client:
                    with self._lock:
                        self.client_bytes += len(data)
                        if self.freeze_after is not None and self.client_bytes >= self.freeze_after:
                            self.freeze_after = None
                            self._flowing.clear()
                            self.frozen.set()
        except OSError:
            return
        finally:
            if not self._cut:
                for sock in (source, target):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
