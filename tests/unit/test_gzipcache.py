"""Static files are compressed once and served from then on as kept; the rest as tornado does.

A real tornado server on a local port, a folder of files served by tornado's own static file
handler, requests with and without ``Accept-Encoding: gzip``.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import random
import threading

import pytest
import tornado.web
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from actionlab.gzipcache import CachedGZip, GzipStore, is_static

BIG = 300_000  # several of the static handler's 64 KB chunks


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("a page that changes " * 200 + self.get_argument("n", ""))


class NoEtagFiles(tornado.web.StaticFileHandler):
    """What Jupyter's labextensions handler (``FileFindHandler``) does to the headers: no ETag,
    and browsers told to check every time."""

    def compute_etag(self):
        return None

    def set_extra_headers(self, path):
        self.set_header("Cache-Control", "no-cache")


class Site:
    """A folder of files behind tornado's static file handler, with the transform under test,
    on a local port; requested through tornado's HTTP client, the response left compressed."""

    def __init__(self, folder):
        self.folder = folder
        self.write_file("app.js", "console.log('room');\n" * 2000)
        rng = random.Random(3)
        self.write_file("big.js", "".join(rng.choice("abcdefgh ;\n") for _ in range(BIG)))
        self.store = GzipStore(budget=2**20)
        self.app = tornado.web.Application([
            (r"/voila/static/(.*)", tornado.web.StaticFileHandler, {"path": str(folder)}),
            (r"/voila/labextensions/(.*)", NoEtagFiles, {"path": str(folder)}),
            (r"/page", Hello),
        ])
        self.app.add_transform(type("TestGZip", (CachedGZip,), {"store": self.store}))

    def write_file(self, name: str, text: str) -> None:
        (self.folder / name).write_text(text)
        tornado.web.StaticFileHandler.reset()  # it keeps its hash of a file's content

    def original(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def run(self, scenario) -> None:
        """``await scenario(get)`` with the server up, in a thread and event loop of its own
        (this thread's loop may be in use: Playwright's sync API runs one in it)."""
        failed: list[BaseException] = []

        def serve() -> None:
            try:
                asyncio.run(self._serve(scenario))
            except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
                failed.append(exc)

        thread = threading.Thread(target=serve)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the scenario did not end within 60 s"
        if failed:
            raise failed[0]

    async def _serve(self, scenario) -> None:
        sock, port = bind_unused_port()
        server = HTTPServer(self.app)
        server.add_sockets([sock])
        client = AsyncHTTPClient(force_instance=True)

        async def get(path: str, *, packed: bool = True, **headers):
            if packed:
                headers["Accept-Encoding"] = "gzip"
            return await client.fetch(f"http://127.0.0.1:{port}{path}", headers=headers,
                                      decompress_response=False, raise_error=False)
        try:
            await scenario(get)
        finally:
            client.close()
            server.stop()
            await server.close_all_connections()


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


def test_a_static_file_is_compressed_once_and_then_served_as_kept(site, caplog):
    async def scenario(get):
        for name in ("app.js", "big.js"):
            first = await get(f"/voila/static/{name}")
            second = await get(f"/voila/static/{name}")
            await get("/page")  # the server has finished the second one meanwhile
            for reply in (first, second):
                assert reply.code == 200 and reply.headers["Content-Encoding"] == "gzip"
                assert "Accept-Encoding" in reply.headers["Vary"]
                assert gzip.decompress(reply.body) == site.original(name)
            assert second.body == first.body
            assert int(second.headers["Content-Length"]) == len(second.body)

    with caplog.at_level(logging.WARNING, logger="tornado"):
        site.run(scenario)
    assert len(site.store) == 2 and site.store.hits == 2
    assert not caplog.records  # e.g. more written than the Content-Length said


def test_a_labextension_file_without_an_etag_is_kept_by_its_time_and_length(site, caplog):
    """Jupyter's labextensions handler sends no ETag (and asks browsers to check every time)."""
    async def scenario(get):
        first = await get("/voila/labextensions/big.js")
        second = await get("/voila/labextensions/big.js")
        await get("/page")
        assert "Etag" not in first.headers
        assert second.body == first.body and gzip.decompress(second.body) == site.original("big.js")
        # another version of the file, of the same length, written at another time
        site.write_file("big.js", site.original("big.js").decode().swapcase())
        os.utime(site.folder / "big.js", (1, 1))
        third = await get("/voila/labextensions/big.js")
        assert gzip.decompress(third.body) == site.original("big.js") != gzip.decompress(first.body)

    with caplog.at_level(logging.WARNING, logger="tornado"):
        site.run(scenario)
    assert site.store.hits == 1 and len(site.store) == 2
    assert not caplog.records  # e.g. more written than the Content-Length said


def test_a_browser_that_does_not_ask_gets_the_file_as_it_is(site):
    async def scenario(get):
        await get("/voila/static/app.js")
        plain = await get("/voila/static/app.js", packed=False)
        assert "Content-Encoding" not in plain.headers and plain.body == site.original("app.js")

    site.run(scenario)


def test_a_changed_file_is_never_served_stale(site):
    async def scenario(get):
        old = gzip.decompress((await get("/voila/static/app.js")).body)
        site.write_file("app.js", "console.log('changed');\n" * 2000)
        new = gzip.decompress((await get("/voila/static/app.js")).body)
        assert new == site.original("app.js") and new != old

    site.run(scenario)


def test_a_browser_that_has_the_file_gets_not_modified(site):
    async def scenario(get):
        first = await get("/voila/static/app.js")
        again = await get("/voila/static/app.js", **{"If-None-Match": first.headers["Etag"]})
        assert again.code == 304 and again.body == b""

    site.run(scenario)


def test_other_responses_are_compressed_and_not_kept(site):
    async def scenario(get):
        for n in ("1", "2"):
            reply = await get(f"/page?n={n}")
            assert reply.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(reply.body).decode().endswith(n)

    site.run(scenario)
    assert len(site.store) == 0


def test_the_store_keeps_the_most_recent_bodies_within_its_budget():
    store = GzipStore(budget=10)
    store.put(("/a", "1"), b"aaaa")
    store.put(("/b", "1"), b"bbbb")
    assert store.get(("/a", "1")) == b"aaaa"  # /a now the most recent
    store.put(("/c", "1"), b"cccc")
    assert store.get(("/b", "1")) is None and store.get(("/a", "1")) == b"aaaa"
    assert store.size == 8
    store.put(("/d", "1"), b"d" * 11)  # beyond the whole budget: not kept
    assert store.get(("/d", "1")) is None and store.size == 8


def test_only_files_under_a_static_or_labextensions_folder_count_as_static():
    assert is_static("/room1/voila/static/1807.voila.js")
    assert is_static("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/84.js")
    assert is_static("/voila/templates/actionlab/static/actionlab.css")
    assert not is_static("/voila/render/participant.ipynb")
    assert not is_static("/static")
