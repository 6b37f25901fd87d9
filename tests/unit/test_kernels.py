"""Kernel hygiene: pages whose browser has gone are shut down after a grace period, a room has a
capped number of kernels with a reserve for the facilitator, and a full room says so."""

from __future__ import annotations

import re

import pytest

from actionlab.kernels import FIRST_CONNECTION, KernelWatch, Seats, page_lang, room_full_page
from tests.support.clock import HandClock


@pytest.fixture
def clock():
    return HandClock()


# -- which kernels have lost their browser -------------------------------------------------------


def test_a_page_kernel_waits_for_its_render_then_for_its_first_connection(clock):
    watch = KernelWatch(grace=120, clock=clock)
    watch.started("k", by_page=True)
    clock.now += 600  # a slow render: no browser can connect before it ends
    assert watch.due(["k"]) == []
    watch.rendered("k", connections=0)  # sent; the browser is still loading its scripts
    clock.now += 200  # beyond one grace: a slow phone, a crowded Wi-Fi
    assert watch.due(["k"]) == []
    clock.now += FIRST_CONNECTION * 120 - 200 - 1
    assert watch.due(["k"]) == []
    clock.now += 1  # it never came: the tab was closed before the page had loaded
    assert watch.due(["k"]) == [("k", FIRST_CONNECTION * 120)]


def test_after_its_first_connection_a_page_has_the_usual_grace(clock):
    watch = KernelWatch(grace=120, clock=clock)
    watch.started("k", by_page=True)
    watch.rendered("k", connections=0)
    clock.now += 300
    watch.connected("k")  # loaded at last
    watch.disconnected("k", connections=0)
    clock.now += 120
    assert watch.due(["k"]) == [("k", 120)]


def test_a_connected_page_is_never_due_however_busy_its_kernel(clock):
    watch = KernelWatch(grace=120, clock=clock)
    watch.started("k", by_page=True)
    watch.connected("k")
    watch.rendered("k", connections=1)
    clock.now += 10_000
    assert watch.due(["k"]) == [] and watch.alone_for("k") is None


def test_a_browser_back_within_the_grace_keeps_its_page(clock):
    watch = KernelWatch(grace=120, clock=clock)
    watch.started("k", by_page=True)
    watch.connected("k")
    watch.rendered("k", connections=1)
    watch.disconnected("k", connections=0)  # phone locked, wifi blip
    clock.now += 100
    watch.connected("k")  # back
    clock.now += 500
    assert watch.due(["k"]) == []
    watch.disconnected("k", connections=0)  # now gone for good
    clock.now += 120
    assert [k for k, _ in watch.due(["k"])] == ["k"]


def test_one_of_two_tabs_closing_leaves_the_kernel_connected(clock):
    watch = KernelWatch(grace=10, clock=clock)
    watch.started("k", by_page=True)
    watch.connected("k")
    watch.connected("k")
    watch.rendered("k", connections=2)
    watch.disconnected("k", connections=1)
    clock.now += 60
    assert watch.due(["k"]) == []


def test_kernels_nobody_started_for_a_page_are_alone_from_the_start(clock):
    watch = KernelWatch(grace=10, clock=clock)
    watch.started("k", by_page=False)
    clock.now += 10
    assert [k for k, _ in watch.due(["k"])] == ["k"]


def test_a_held_kernel_is_never_due_and_gone_kernels_are_forgotten(clock):
    watch = KernelWatch(grace=10, clock=clock)
    watch.started("pool", by_page=False)
    watch.started("gone", by_page=False)
    for _ in range(5):
        clock.now += 8
        watch.held("pool")  # still in Voila's pool
        assert watch.due(["pool", "gone"]) in ([], [("gone", 16.0)], [("gone", 24.0)],
                                               [("gone", 32.0)], [("gone", 40.0)])
    assert watch.due(["pool"]) == [] and watch.alone_for("gone") is None


# -- how many kernels the room runs -------------------------------------------------------------


def test_seats_keep_a_reserve_for_the_facilitator():
    seats = Seats(limit=5, reserve=2)
    asked = []

    def facilitator(answer):
        return lambda: asked.append(answer) or answer

    assert seats.for_participants == 3
    assert seats.admits(2, facilitator(False)) and asked == []  # not even asked
    assert not seats.admits(3, facilitator(False))
    assert seats.admits(3, facilitator(True)) and seats.admits(4, facilitator(True))
    assert not seats.admits(5, facilitator(True))
    assert asked == [False, True, True]  # a room full to the last seat asks nothing


def test_no_cap_and_a_reserve_too_large_still_leave_participants_a_seat():
    assert Seats(limit=0).admits(10_000, lambda: False)
    assert Seats(limit=2, reserve=9).for_participants == 1
    assert Seats(limit=1, reserve=1).for_participants == 1
    assert Seats(limit=3, reserve=-1).for_participants == 3


# -- the "room is full" page ---------------------------------------------------------------------


@pytest.mark.parametrize("query,header,default,expected", [
    ("en", "zh-CN,zh;q=0.9", "zh", "en"),  # the page's own lang wins
    (None, "zh-CN,zh;q=0.9,en;q=0.8", "en", "zh"),
    (None, "fr-FR,en-GB;q=0.8,zh;q=0.9", "zh", "zh"),  # by weight, unknown skipped
    (None, "en-US,en;q=0.9", "zh", "en"),
    (None, "fr, de;q=0.5", "en", "en"),  # nothing supported: the workbook's default
    ("xx", "", "zh", "zh"),
    (None, "en;q=0, zh;q=abc", "en", "en"),  # refused or malformed weights do not count
    (None, None, "", "zh"),
])
def test_page_language(query, header, default, expected):
    assert page_lang(query, header, default) == expected


def test_room_full_page_in_both_languages_escapes_the_link():
    hostile = '/voila/render/participant.ipynb?code="><script>alert(1)</script>'
    zh = room_full_page("zh", hostile, retry_seconds=20)
    en = room_full_page("en", hostile, retry_seconds=20)
    for page in (zh, en):
        assert "<script>" not in page and "&lt;script&gt;" in page
        for cls in ("wb-page wb-room-full", "wb-room-full-title", "wb-room-full-retry",
                    "wb-room-full-auto"):
            assert cls in page
        assert '<meta http-equiv="refresh" content="20">' in page
        assert not re.search(r"(?i)https?://|src=|<link", page)  # nothing fetched, no CDN
    assert "The room is full" in en and "20 seconds" in en and 'lang="en"' in en
    assert "会场已满" in zh and "促进师" in zh and 'lang="zh-CN"' in zh
