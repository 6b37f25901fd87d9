"""Preheated participant kernels with a real Voila server and Chromium.

* A person who scans the code gets a kernel that was started before they came, and the page it
  builds is theirs: the join link's code reaches it, and so does a personal link opened on
  another device (the query string arrives through Voila's request websocket).
* The pool refills after people arrive but never past the room's cap: with every participant
  seat taken, the next visitor still gets "the room is full" and no kernel.
* Only the three pages render, with no prelaunch hook to keep the others out.
"""

from __future__ import annotations

import gzip
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

from actionlab.kernel_fork import forking_possible
from actionlab.services import Workbook
from actionlab.settings import Settings
from tests.support.server import VoilaServer

from .room import PHONE, join

pytestmark = pytest.mark.ui

KERNEL_OF_PAGE = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"


@pytest.fixture
def room(tmp_path):
    """Two preheated participant kernels; 4 kernels at most, one kept for the facilitator."""
    srv = VoilaServer(tmp_path, f"sqlite:///{tmp_path / 'room.db'}",
                      extra_env={"ACTIONLAB_PREHEAT": "2", "ACTIONLAB_MAX_KERNELS": "4",
                                 "ACTIONLAB_FACILITATOR_RESERVE": "1"}).start()
    yield srv
    srv.stop()


def preheated_ids(server: VoilaServer) -> list[str]:
    return re.findall(r"Using pre-heated kernel: ([0-9a-f-]{36})", server.log())


def new_workshop(server: VoilaServer, title: str) -> str:
    """A workshop made by the facilitator beforehand (three groups, the restructuring canvas)."""
    with Workbook.open(Settings(db_url=server.db_url)) as wb:
        return wb.workshops.create(title, "en", 3).code


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_people_get_preheated_kernels_and_their_own_pages(pages, room):
    code = new_workshop(room, "Preheated")
    room.wait_for(lambda: len(room.kernel_processes()) >= 2, 120, "the pool's two kernels")

    ann = join(pages, room, code, 0, "Ann")
    kernel = ann.evaluate(KERNEL_OF_PAGE)
    assert kernel in preheated_ids(room)  # a kernel started before Ann came
    assert "participant.ipynb" in room.log() and "not trusted" not in room.log()
    ann.locator(".wb-column-symptoms .wb-add-text textarea").fill("queue at the door")
    ann.locator(".wb-column-symptoms .wb-add-button").click()
    expect(ann.locator(".wb-column-symptoms .wb-card-text").first).to_have_text("queue at the door")

    # Ann's personal link on her laptop: another preheated kernel, and it is Ann again
    laptop = pages.open(ann.url, **PHONE)
    expect(laptop.locator(".wb-member-name")).to_have_text("Ann")
    expect(laptop.locator(".wb-column-symptoms .wb-card-text").first).to_have_text("queue at the door")
    assert laptop.evaluate(KERNEL_OF_PAGE) in preheated_ids(room)

    # scripts go out compressed to a browser that asks (forty phones share the room's Wi-Fi)
    script = laptop.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".find(n => n.includes('/static/frontend.js'))")
    plain = urllib.request.urlopen(script, timeout=60).read()
    asked = urllib.request.Request(script, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(asked, timeout=60) as reply:
        assert reply.headers.get("Content-Encoding") == "gzip"
        packed = reply.read()
    assert gzip.decompress(packed) == plain and len(packed) < len(plain) / 2

    # kernels talk to Voila over Unix sockets, not TCP ports that a burst of them could race
    # for (actionlab.server.kernel_transport)
    for pid in room.kernel_processes():
        kernel = psutil.Process(pid)
        connection = json.loads(Path(kernel.cmdline()[kernel.cmdline().index("-f") + 1]).read_text())
        assert connection["transport"] == "ipc"
        for channel in ("shell", "iopub", "stdin", "control", "hb"):
            assert Path(f"{connection['ip']}-{connection[channel + '_port']}").is_socket()

    # on Linux every page kernel is a fork of the one parent that has imported their libraries:
    # the provisioner the pages' kernel spec names is installed and in use (actionlab.kernel_fork)
    if forking_possible():
        parents = {psutil.Process(pid).ppid() for pid in room.kernel_processes()}
        assert len(parents) == 1, parents
        assert "actionlab.kernel_zygote" in psutil.Process(parents.pop()).cmdline()

    # nothing but the pages renders (no prelaunch hook beside preheated kernels)
    assert status_of(room.url("analysis")) == 404
    assert status_of(f"{room.base}/voila/render/missing.ipynb") == 404
    pages.shot(laptop, "preheated-personal-link")


def test_the_pool_refills_within_the_cap_and_a_full_room_still_says_so(pages, room):
    code = new_workshop(room, "Full room")
    room.wait_for(lambda: len(room.kernel_processes()) >= 2, 120, "the pool's two kernels")
    people = [join(pages, room, code, i % 3, name) for i, name in enumerate(["Ann", "Ben", "Cat"])]
    assert {p.evaluate(KERNEL_OF_PAGE) for p in people} <= set(preheated_ids(room))
    # three participant seats (4 less the facilitator's one), all taken: the pool is empty and
    # stays so, and the next visitor is turned away before a kernel starts
    # the refill after Ann had come (5 s later) has had its chance to overshoot by now
    room.wait_for(lambda: room.log().count("heating") >= 2, 60, "a refill of the pool")
    assert len(room.kernel_processes()) <= 3
    dan = pages.browser.new_context(viewport=PHONE)
    pages.contexts.append(dan)
    reply = dan.new_page().goto(room.url("participant", code=code, lang="en"))
    assert reply.status == 503
    assert len(room.kernel_processes()) <= 3
