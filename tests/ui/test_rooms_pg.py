"""Several rooms on one PostgreSQL store: one Voila process per room, each under its own base
URL, nginx in front (docs/deployment.md).

* Two ``actionlab serve`` processes (``/room1/`` and ``/room2/``) on one real PostgreSQL
  database: a card a participant adds on a page of process A appears on the projector of
  process B, and a step the facilitator takes on B's projector moves the participant on A.
* The same through nginx running the shipped configuration, with the processes started by
  ``deploy/rooms.sh``: every link the pages show carries the room's path under the public
  address, every file a page loads comes from its own room, the kernel check of
  ``kernelreturn.js`` reaches its own room, a reload brings a participant back, and the
  kernels' websockets work through the proxy.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.nginx import NginxRooms, NginxUnavailable
from tests.support.server import VoilaServer
from tests.ui.room import create_workshop, join
from tests.ui.test_room_control import step_of
from tests.ui.test_room_flow import add_card

pytestmark = pytest.mark.ui

ROOMS_SH = Path(__file__).resolve().parents[2] / "deploy" / "rooms.sh"
KEY = "rooms-facilitator-key"
START_TIMEOUT = 180  # two Voila processes starting at once on a busy 2-core machine


@pytest.fixture
def room_db(postgres_server):
    """A fresh PostgreSQL database both rooms share."""
    name = "rooms_" + uuid.uuid4().hex[:12]
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


# -- two processes, one store --------------------------------------------------------------------
@pytest.fixture
def two_rooms(tmp_path, room_db):
    rooms = []
    try:
        # one after the other: the first brings the schema up to date and stores the key
        for number in (1, 2):
            root = tmp_path / f"room{number}"
            root.mkdir()
            rooms.append(VoilaServer(root, room_db, key=KEY, base_url=f"/room{number}/")
                         .start(timeout=START_TIMEOUT))
        yield rooms
    finally:
        for room in reversed(rooms):
            room.stop()


def test_an_edit_in_one_process_reaches_the_projector_of_another(pages, two_rooms):
    a, b = two_rooms
    _console, code = create_workshop(pages, a, "Two processes, one store")
    projector = pages.open(b.url("projector", key=KEY, code=code), width=1600, height=1000)
    expect(projector.locator(".wb-group-panel")).to_have_count(2)
    ana = join(pages, a, code, 0, "Ana Example")
    # the participant's and the console's kernels run under A, the projector's under B
    assert len(a.kernel_processes()) >= 2 and len(b.kernel_processes()) >= 1

    # A -> B: a card written on process A shows on process B's projector
    add_card(ana, "symptoms", "Written in room one")
    expect(projector.locator(".wb-group-1 .wb-column-symptoms .wb-card-text")).to_have_text(
        "Written in room one")

    # B -> A: the facilitator moves the room on from B's projector; A's pages follow
    for page in (ana, projector):
        expect(step_of(page)).to_have_attribute("data-step", "0")
    projector.locator(".wb-room-controls .wb-room-next").first.click()
    expect(step_of(ana)).to_have_attribute("data-step", "1")


# -- behind nginx ----------------------------------------------------------------------------------
class Room:
    """One room as the browser sees it through the proxy (what the room helpers need)."""

    def __init__(self, origin: str, base_url: str, key: str):
        self.base = origin
        self.base_url = base_url
        self.key = key

    def url(self, page: str, **params: str) -> str:
        from urllib.parse import urlencode

        query = urlencode(params)
        return f"{self.base}{self.base_url}voila/render/{page}.ipynb" + (f"?{query}" if query else "")


def _port_pair() -> int:
    """A free port whose next port is free too (the launcher numbers rooms from one port)."""
    for _attempt in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no two free ports in a row")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


@pytest.fixture
def proxied_rooms(tmp_path, room_db):
    """nginx on a free port in front of two rooms started by deploy/rooms.sh."""
    first = _port_pair()
    try:
        nginx = NginxRooms({1: first, 2: first + 1}).start()
    except NginxUnavailable as missing:
        pytest.fail(str(missing), pytrace=False)
    public = nginx.base + "/"
    env = VoilaServer(tmp_path, room_db, key=KEY).env()  # HOME, Jupyter folders, the store
    env.update(ACTIONLAB_PUBLIC_URL=public, ACTIONLAB_KEY=KEY, ACTIONLAB_FIRST_PORT=str(first),
               ACTIONLAB_LOG_DIR=str(tmp_path / "logs"),
               ACTIONLAB_BIN=str(Path(sys.executable).parent / "actionlab"))
    launcher = subprocess.Popen(["sh", str(ROOMS_SH), "2"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def logs() -> str:
        found = sorted((tmp_path / "logs").glob("*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in found)

    try:
        deadline = time.monotonic() + START_TIMEOUT
        for number in (1, 2):  # through nginx: the proxy reaches each room under its path
            while not _answers(f"{nginx.base}/room{number}/voila/static/voila.js"):
                assert launcher.poll() is None, f"rooms.sh stopped:\n{logs()}"
                assert time.monotonic() < deadline, f"room {number} not up:\n{logs()}\n{nginx.log()}"
                time.sleep(0.5)
        yield nginx, public
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)  # rooms.sh stops every room it started
            try:
                launcher.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait(timeout=10)
        nginx.stop()


def test_rooms_behind_nginx_show_their_own_links_and_work_through_the_proxy(pages, proxied_rooms):
    nginx, public = proxied_rooms
    room1 = Room(nginx.base, "/room1/", KEY)
    room2 = Room(nginx.base, "/room2/", KEY)

    # the facilitator of room 2: the join link (and its QR code) carries the room's path
    console, code = create_workshop(pages, room2, "Rooms behind nginx")
    room2_join = f"{public}room2/voila/render/participant.ipynb?code={code}"
    expect(console.locator(".wb-workshop-info .wb-join-url a")).to_have_text(room2_join)
    href = console.locator(".wb-projector-link").get_attribute("href")
    assert href.startswith("/room2/voila/render/projector.ipynb?"), href
    projector = pages.open(nginx.base + href, width=1600, height=1000)
    expect(projector.locator(".wb-projector-top .wb-join-url")).to_have_text(room2_join)

    # a participant in room 1, on the other process
    ana = join(pages, room1, code, 0, "Ana Example")
    expect(ana).to_have_url(re.compile(
        rf"^{re.escape(nginx.base)}/room1/voila/render/participant\.ipynb\?code={code}&me="))
    personal = ana.locator(".wb-personal-link a").get_attribute("href")
    assert personal.startswith(f"{public}room1/voila/render/participant.ipynb?code={code}&me=")

    # every file the page loaded came from its own room, and came
    loaded = ana.evaluate("performance.getEntriesByType('resource')"
                          ".map(e => [e.name, e.responseStatus || 0])")
    files = [(name, status) for name, status in loaded if not name.startswith(("data:", "blob:"))]
    assert all(name.startswith(f"{nginx.base}/room1/") for name, _ in files), files
    assert all(status in (0, 200, 204, 304) for _, status in files), files  # 0: not reported
    names = " ".join(name for name, _ in files)
    for asset in ("static/actionlab.css", "static/actionlab.js", "static/kernelreturn.js"):
        assert f"/room1/voila/templates/actionlab/{asset}" in names, asset

    # kernelreturn.js asks its own room for its kernel (and would reload on a 404)
    asked = ana.evaluate("""async () => {
        const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
        const reply = await fetch(config.baseUrl + 'api/kernels/' + config.kernelId,
                                  {cache: 'no-store', credentials: 'same-origin'});
        return [config.baseUrl, reply.status];
    }""")
    assert asked == ["/room1/", 200]

    # websockets through the proxy, across processes: room 1 writes, room 2's projector shows
    add_card(ana, "symptoms", "Through the proxy")
    expect(projector.locator(".wb-group-1 .wb-column-symptoms .wb-card-text")).to_have_text(
        "Through the proxy")
    projector.locator(".wb-room-controls .wb-room-next").first.click()
    expect(step_of(ana)).to_have_attribute("data-step", "1")

    # the address bar's link brings the participant back after a reload
    ana.reload()
    expect(ana.locator(".wb-member-name")).to_have_text("Ana Example")
    expect(ana.locator(".wb-column-symptoms .wb-card-text")).to_have_text("Through the proxy")
