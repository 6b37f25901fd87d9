"""Kernel hygiene with a real Voila server and real Chromium.

* A page whose browser has gone (its context closed: no unload, as when a phone leaves the
  room) has its kernel shut down once the grace period has passed, although its live loop
  keeps it busy; pages still open keep theirs, and one whose connection dropped for a moment
  (wifi blip) and came back keeps its page.
* The room has a cap: beyond it a page gets "the room is full" and no kernel starts; the
  facilitator's key opens the reserve; once a page has gone and its kernel is shut down, the
  next person gets in.

The kernels are watched through the server itself: ``/api/kernels/<id>`` (connections, last
activity), its log, and its child processes in /proc (with their memory).
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.support.server import VoilaServer
from tests.ui.room import console_tab, create_workshop, join

pytestmark = pytest.mark.ui

GRACE = 12.0  # long enough for a loaded machine to boot a page's widgets after its render
MARGIN = 45.0  # the sweep runs every grace/4; the rest is for a slow machine


def start_server(tmp_path, **env) -> VoilaServer:
    env = {"ACTIONLAB_KERNEL_GRACE": f"{GRACE:g}", **env}
    return VoilaServer(tmp_path, f"sqlite:///{tmp_path / 'room.db'}", extra_env=env).start()


@pytest.fixture
def roomy(tmp_path):
    srv = start_server(tmp_path)
    yield srv
    srv.stop()


@pytest.fixture
def small_room(tmp_path):
    """Four kernels, the last one kept for the facilitator: console + two participants fill it."""
    srv = start_server(tmp_path, ACTIONLAB_MAX_KERNELS="4", ACTIONLAB_FACILITATOR_RESERVE="1")
    yield srv
    srv.stop()


def kernel_id(page) -> str:
    return page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                         ".kernelId")


def memory_line(server) -> str:
    rss = sorted(server.kernel_processes().values())
    return f"{len(rss)} kernel processes, RSS MB: {[round(kb / 1024) for kb in rss]}"


def wait_gone(server, kernel: str, since: float) -> float:
    """Wait until the server has shut ``kernel`` down; returns the seconds since ``since``."""
    server.wait_for(lambda: server.kernel(kernel) is None, GRACE + MARGIN,
                    f"kernel {kernel} shut down")
    return time.monotonic() - since


class Wifi:
    """A page's kernel websocket through Playwright: ``drop`` cuts it and refuses the page's
    reconnection attempts until ``back``."""

    def __init__(self):
        self.routes = []
        self.away = False

    def route(self, ws) -> None:
        if self.away:
            ws.close()
            return
        self.routes.append((ws, ws.connect_to_server()))

    def drop(self) -> None:
        self.away = True
        for ws, server_side in self.routes:
            server_side.close()
            ws.close()
        self.routes.clear()

    def back(self) -> None:
        self.away = False


def test_a_page_whose_browser_has_gone_is_shut_down_and_open_pages_keep_theirs(pages, roomy):
    server = roomy
    console, code = create_workshop(pages, server, "Kernel hygiene")
    ann = join(pages, server, code, 0, "Ann")
    ben = join(pages, server, code, 1, "Ben")
    # Ann's phone: her kernel websocket goes through a wifi we can cut (a reload brings her
    # back as herself on a new kernel; Voila shuts the old one on unload)
    wifi = Wifi()
    ann.route_web_socket(re.compile(r"/api/kernels/[^/]+/channels"), wifi.route)
    ann.reload()
    expect(ann.locator(".wb-member-name")).to_have_text("Ann")
    kernels = {name: kernel_id(page) for name, page in
               (("console", console), ("ann", ann), ("ben", ben))}
    for kernel in kernels.values():
        assert server.wait_for(lambda k=kernel: (server.kernel(k) or {}).get("connections"),
                               60, "page connected")
    server.wait_for(lambda: len(server.kernel_processes()) == 3, 30, "three kernels")
    print("\nthree pages open:", memory_line(server))

    # Ben's phone leaves the room. The facilitator moves on: his kernel redraws his page for
    # nobody (Jupyter's idle culling would see it active), yet it goes after the grace period.
    console_tab(console, "room")
    room_next = console.locator(".wb-room-controls").first.locator(".wb-room-next")
    activity_before = server.kernel(kernels["ben"])["last_activity"]
    ben.context.close()
    gone_at = time.monotonic()
    room_next.click()
    expect(ann.locator(".wb-step-banner .wb-step").first).to_have_attribute("data-step", "1")
    busy = server.wait_for(
        lambda: (model := server.kernel(kernels["ben"])) and model["last_activity"] > activity_before
        and model, GRACE, "Ben's kernel active after his browser went")
    assert busy["connections"] == 0

    # Ann's wifi drops, and comes back within the grace period
    wifi.drop()
    server.wait_for(lambda: server.kernel(kernels["ann"])["connections"] == 0, 30,
                    "the server sees Ann's page disconnected")
    wifi.back()
    server.wait_for(lambda: server.kernel(kernels["ann"])["connections"] >= 1, 90,
                    "Ann's page reconnected", pause=ann.wait_for_timeout)

    # Ben's kernel is shut down after the grace period, not before, and by the room's rule
    waited = wait_gone(server, kernels["ben"], gone_at)
    assert GRACE - 1 <= waited <= GRACE + MARGIN, waited
    assert f"kernel {kernels['ben']} has had no browser" in server.log()
    print(f"Ben's kernel shut down {waited:.1f}s after his browser went (last activity "
          f"{activity_before} -> {busy['last_activity']} meanwhile);", memory_line(server))

    # the open pages (Ann's after her blip too) keep their kernels, and they still work
    assert server.kernel(kernels["console"])["connections"] >= 1
    assert server.kernel(kernels["ann"])["connections"] >= 1
    assert len(server.kernel_processes()) == 2
    room_next.click()
    expect(ann.locator(".wb-step-banner .wb-step").first).to_have_attribute("data-step", "2")
    assert f"kernel {kernels['ann']} has had no browser" not in server.log()

    # Ann's wifi is gone for longer than the grace period: her kernel is shut down. When her
    # network is back, her page sees that and reloads itself: she is herself again.
    wifi.drop()
    wait_gone(server, kernels["ann"], time.monotonic())
    wifi.back()
    ann.context.set_offline(True)
    ann.context.set_offline(False)
    back_at = time.monotonic()

    def reloaded():
        try:
            return kernel_id(ann) != kernels["ann"]
        except PlaywrightError:  # between two pages
            return False

    server.wait_for(reloaded, 90, "Ann's page reloaded itself", pause=ann.wait_for_timeout)
    print(f"Ann's page reloaded itself {time.monotonic() - back_at:.1f}s after her network came back")
    expect(ann.locator(".wb-member-name")).to_have_text("Ann")
    expect(ann.locator(".wb-step-banner .wb-step").first).to_have_attribute("data-step", "2")


def http_get(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return reply.status, dict(reply.headers), reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_full_room_says_so_starts_no_kernel_and_lets_the_next_person_in(pages, small_room):
    server = small_room
    console, code = create_workshop(pages, server, "Full room")
    ann = join(pages, server, code, 0, "Ann")
    ben = join(pages, server, code, 1, "Ben")
    server.wait_for(lambda: len(server.kernel_processes()) == 3, 30, "three kernels")
    print("\nroom at its participants' cap:", memory_line(server))

    # a fourth person gets the room-full page, in their browser's language, and no kernel
    cat = pages.open(server.url("participant", code=code))
    expect(cat.locator(".wb-room-full-title")).to_have_text("The room is full")
    expect(cat.locator(".wb-room-full-retry")).to_have_attribute("href", re.compile(code))
    status, headers, body = http_get(server.url("participant", code=code, lang="zh"))
    assert status == 503 and headers.get("Retry-After") == "20"
    assert "会场已满" in body and "wb-room-full" in body
    assert "room full (3 of 4 kernels)" in server.log()
    assert len(server.kernel_processes()) == 3

    # the facilitator's key opens the reserve; a wrong key does not
    projector_url = server.url("projector", key=server.key, code=code)
    wrong = pages.open(server.url("projector", key="not-the-key", code=code))
    expect(wrong.locator(".wb-room-full")).to_be_visible()
    wrong.context.close()  # (or it would try again by itself, and take the next free seat)
    projector = pages.open(projector_url, width=1600, height=1000)
    expect(projector.locator(".wb-projector-grid")).to_be_visible()
    assert len(server.kernel_processes()) == 4
    print("room full, reserve used:", memory_line(server))
    with cat.expect_response(re.compile(r"participant\.ipynb")) as retried:
        cat.locator(".wb-room-full-retry").click()
    assert retried.value.status == 503  # the reserve is not a participant's

    # Ben and the projector leave; once their kernels are shut down, Cat gets in
    ben_kernel, projector_kernel = kernel_id(ben), kernel_id(projector)
    for page in (ben, projector):
        page.context.close()
    gone_at = time.monotonic()
    for kernel in (ben_kernel, projector_kernel):
        wait_gone(server, kernel, gone_at)
    # Cat's page tries again by itself (every 20 s) and lets her in
    cat.locator(".wb-join-group input[type=radio]").nth(1).check(timeout=120_000)
    cat.locator(".wb-join-name input").fill("Cat")
    cat.locator(".wb-join-submit").click()
    expect(cat.locator(".wb-member-name")).to_have_text("Cat")
    assert server.kernel(kernel_id(ann))["connections"] >= 1
    assert server.kernel(kernel_id(console))["connections"] >= 1
    assert len(server.kernel_processes()) == 3
