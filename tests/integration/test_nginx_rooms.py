"""nginx runs the shipped rooms configuration (deploy/nginx/actionlab-rooms.conf).

The rooms here are small Tornado servers (Voila's web framework) standing in for Voila: each
answers with what it was sent, and holds a websocket whose origin it checks against the Host
header as Jupyter's kernel channels do. The real rooms behind nginx, in a browser, are in
tests/ui/test_rooms_pg.py.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.nginx import NginxRooms, NginxUnavailable, find_nginx
from tests.support.server import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def nginx_program() -> str:
    try:
        return find_nginx()
    except NginxUnavailable as missing:
        pytest.fail(str(missing), pytrace=False)


def test_the_shipped_configuration_passes_nginx_t(nginx_program):
    rooms = NginxRooms({i: free_port() for i in range(1, 6)})
    try:
        checked = rooms.check()
    finally:
        rooms.stop()
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def _room_app(room: int):
    import tornado.web
    import tornado.websocket

    class Echo(tornado.web.RequestHandler):
        def get(self, rest):
            self.set_header("Content-Type", "application/json")
            headers = {name: self.request.headers.get(name) for name in
                       ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip")}
            self.finish(json.dumps({"room": room, "path": self.request.path, "headers": headers}))

    class Channel(tornado.websocket.WebSocketHandler):
        # Tornado's own check_origin (Origin's host must equal Host), as Jupyter's kernels do

        def on_message(self, message):
            self.write_message(f"room {room}: {message}")

    base = f"/room{room}/"
    return tornado.web.Application([(base + r"api/kernels/k1/channels", Channel),
                                    (base + r"(.*)", Echo)])


def test_each_room_gets_its_path_its_headers_and_a_websocket(nginx_program):
    import tornado.httpclient
    import tornado.websocket

    ports = {1: free_port(), 2: free_port()}

    async def scenario(base: str) -> tuple[list[dict], list[str], int]:
        servers = [_room_app(room).listen(port, address="127.0.0.1") for room, port in ports.items()]
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            pages = []
            for path in ("/room1/voila/render/participant.ipynb?code=ABC234",
                         "/room2/voila/templates/actionlab/static/kernelreturn.js"):
                reply = await client.fetch(base + path)
                pages.append(json.loads(reply.body))
            said = []
            origin = base  # the page's own origin, port included
            for room in (1, 2):
                request = tornado.httpclient.HTTPRequest(
                    f"{base.replace('http', 'ws')}/room{room}/api/kernels/k1/channels",
                    headers={"Origin": origin})
                channel = await tornado.websocket.websocket_connect(request)
                await channel.write_message("hello")
                said.append(await channel.read_message())
                channel.close()
            try:
                await client.fetch(base + "/analysis.ipynb")
                outside = 200
            except tornado.httpclient.HTTPClientError as refused:
                outside = refused.code
            return pages, said, outside
        finally:
            client.close()
            for server in servers:
                server.stop()

    with NginxRooms(ports) as nginx, ThreadPoolExecutor(1) as thread:
        # a loop of its own: a browser test in the same run keeps one running in this thread
        pages, said, outside = thread.submit(asyncio.run, scenario(nginx.base)).result(timeout=120)

    # the path reaches the room unchanged (Voila serves under its base URL, /roomN/)
    assert [(p["room"], p["path"]) for p in pages] == [
        (1, "/room1/voila/render/participant.ipynb"),
        (2, "/room2/voila/templates/actionlab/static/kernelreturn.js")]
    headers = pages[0]["headers"]
    assert headers["Host"] == f"127.0.0.1:{nginx.port}"  # the port too, for the origin check
    assert headers["X-Forwarded-For"] == "127.0.0.1" and headers["X-Forwarded-Proto"] == "http"
    # the websocket is upgraded through nginx and reaches its own room
    assert said == ["room 1: hello", "room 2: hello"]
    assert outside == 404  # nothing but the rooms
