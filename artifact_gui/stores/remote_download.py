"""A blob read from a server like a file: it resumes with Range after a dropped connection,
and gives up on a server that sends too slowly (see `core.deadlines.MIN_TRANSFER_RATE`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from ..core.transfer import ChunkReader
from .http import RETRIES, ApiClient, ServerUnreachableError, segment, too_slow_means_unreachable
from .wire import ProtocolError


class ResumingDownload(ChunkReader):
    """A blob read from the server like a file; a dropped connection resumes with Range
    from the first byte not yet received."""

    def __init__(self, api: ApiClient, digest: str):
        self._api, self._digest = api, digest
        self._what = f"downloading {digest}"
        self._offset = 0
        self._response: httpx.Response | None = None
        self._open()
        super().__init__(self._resuming_chunks())

    def _open(self) -> None:
        headers = {"Range": f"bytes={self._offset}-"} if self._offset else {}
        self._response = self._api.open("GET", f"blobs/{segment(self._digest)}", self._what, headers=headers)
        if self._offset and self._response.status_code != 206:
            self._response.close()
            raise ProtocolError(f"{self._what}: the server ignored the Range to resume from byte {self._offset}")

    def _resuming_chunks(self) -> Iterator[bytes]:
        resumes = 0
        while True:
            floor = self._api.rate_floor()  # anew after a resume: the reconnection is not the body's time
            try:
                with too_slow_means_unreachable(self._what, self._api.url):
                    for chunk in self._response.iter_raw():  # as they arrive: ChunkReader joins them
                        self._offset += len(chunk)
                        floor.moved(len(chunk))
                        yield chunk
                return
            except (httpx.TransportError, httpx.StreamError) as error:
                resumes += 1
                if resumes > RETRIES:
                    raise ServerUnreachableError(f"{self._what}: the connection broke off {resumes}"
                                                 f" times ({error})") from error
                self._response.close()
                self._open()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> "ResumingDownload":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
