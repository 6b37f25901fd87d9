"""Compressed responses, with the static files compressed once instead of for every phone.

Tornado's ``compress_response`` gzips every response as it is sent. A page of the room brings
about 100 script and style files, 4.7 MB: compressing them again for each person who opens a
page cost the server about 0.1 s of CPU per page (measured: 0.02 s a MB), some 40 % of what
Voila's process spends on a whole join, while a room of forty joins at once.

:class:`CachedGZip` compresses as tornado does, and keeps the compressed body of a static
file (a path with a ``static`` or ``labextensions`` segment, answered 200) under its path and
version: its ETag, which tornado's static file handlers make from a hash of the file's
content, or where a handler gives none (Jupyter's labextensions handler) its modification time
and length (the file's version for the browsers too, in their ``If-Modified-Since``; a file
rewritten at the same length within the same second would pass for the old one, which
installed script files are not). A file that changes has a new key and is compressed anew. The cache is bounded
(:data:`BUDGET` bytes, least recently used out first).
"""

from __future__ import annotations

from collections import OrderedDict

from tornado import httputil
from tornado.web import GZipContentEncoding

#: Most bytes of compressed files kept (a room's pages use about 2 MB of them).
BUDGET = 32 * 2**20
#: URL path segments of the files that are the same for every page.
STATIC_SEGMENTS = frozenset({"static", "labextensions"})


class GzipStore:
    """Compressed bodies by (path, ETag), least recently used out first beyond ``budget``."""

    def __init__(self, budget: int = BUDGET):
        self.budget = budget
        self.size = 0
        self.hits = 0
        self._bodies: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def get(self, key: tuple[str, str]) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
            self.hits += 1
        return body

    def put(self, key: tuple[str, str], body: bytes) -> None:
        if len(body) > self.budget or key in self._bodies:
            return
        self._bodies[key] = body
        self.size += len(body)
        while self.size > self.budget:
            _key, dropped = self._bodies.popitem(last=False)
            self.size -= len(dropped)

    def __len__(self) -> int:
        return len(self._bodies)


STORE = GzipStore()


def is_static(path: str) -> bool:
    return not STATIC_SEGMENTS.isdisjoint(path.split("/")[:-1])


def file_version(headers: httputil.HTTPHeaders) -> str | None:
    """What tells this file's content from another version of it: its ETag, else (a handler
    that gives none, as Jupyter's labextensions handler) its modification time and length,
    which is what nginx makes its ETags of."""
    if "Etag" in headers:
        return headers["Etag"]
    if "Last-Modified" in headers and "Content-Length" in headers:
        return f'{headers["Last-Modified"]}/{headers["Content-Length"]}'
    return None


class CachedGZip(GZipContentEncoding):
    """Tornado's gzip transform; a static file's compressed body is made once and kept."""

    store = STORE

    def __init__(self, request: httputil.HTTPServerRequest) -> None:
        super().__init__(request)
        self._path = request.path if request.method == "GET" and is_static(request.path) else None
        self._key: tuple[str, str] | None = None
        self._parts: list[bytes] | None = None  # the compressed body as it is made
        self._kept = False  # the whole body went out with the first chunk

    def transform_first_chunk(self, status_code: int, headers: httputil.HTTPHeaders,
                              chunk: bytes, finishing: bool) -> tuple[int, httputil.HTTPHeaders, bytes]:
        version = file_version(headers)
        if self._gzipping and self._path and status_code == 200 and version:
            key = (self._path, version)
            body = self.store.get(key)
            if body is not None and "Content-Encoding" not in headers:
                headers["Vary"] = f'{headers["Vary"]}, Accept-Encoding' if "Vary" in headers else "Accept-Encoding"
                headers["Content-Encoding"] = "gzip"
                headers["Content-Length"] = str(len(body))
                self._kept = True
                return status_code, headers, body
            self._key = key
        status_code, headers, out = super().transform_first_chunk(status_code, headers, chunk, finishing)
        if self._key is not None and self._gzipping:
            self._parts = [out]
            if finishing:
                self._keep()
        return status_code, headers, out

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if self._kept:
            return b""  # the handler still reads its file; its body has gone out already
        out = super().transform_chunk(chunk, finishing)
        if self._parts is not None:
            self._parts.append(out)
            if finishing:
                self._keep()
        return out

    def _keep(self) -> None:
        if self._key is not None and self._parts is not None:
            self.store.put(self._key, b"".join(self._parts))
        self._parts = None
