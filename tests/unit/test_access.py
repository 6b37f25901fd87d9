"""The facilitator key: compared in constant time, wrong keys throttled for the whole server."""

from __future__ import annotations

import pytest

from actionlab.i18n import translator
from actionlab.services import Workbook, access
from actionlab.services.access import (
    KEY_ATTEMPTS,
    KEY_COOLING,
    KEY_COOLING_MAX,
    KEY_FAILURES,
    KEY_FORGET,
    KEY_WINDOW,
    AccessService,
    hash_secret,
)
from actionlab.settings import Settings

KEY = "the-right-key"
MINUTE = 60.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def door(wb, clock):
    service = AccessService(wb.store, clock=clock)
    service.issue_facilitator_key(KEY)
    return service


def wrong(door, n: int) -> list[str]:
    return [door.check_facilitator_key(f"guess-{i}").reason for i in range(n)]


def test_right_wrong_and_missing_keys(door):
    assert door.check_facilitator_key(KEY).ok
    check = door.check_facilitator_key("nope")
    assert (check.ok, check.reason) == (False, "wrong")
    for missing in (None, ""):
        assert door.check_facilitator_key(missing).reason == "missing"
    # pages opened without a key are not counted as guesses
    assert [door.check_facilitator_key(None).reason for _ in range(10)] == ["missing"] * 10
    assert door.check_facilitator_key(KEY).ok


def test_five_wrong_keys_close_the_door_even_to_the_right_key(door, clock):
    assert wrong(door, KEY_FAILURES - 1) == ["wrong"] * (KEY_FAILURES - 1)
    clock.advance(KEY_WINDOW - 1)
    closing = door.check_facilitator_key("guess-5")
    assert closing.reason == "throttled" and closing.retry_after == KEY_COOLING
    clock.advance(2 * MINUTE)
    refused = door.check_facilitator_key(KEY)
    assert not refused.ok and refused.reason == "throttled"
    assert refused.retry_after == KEY_COOLING - 2 * MINUTE and refused.retry_minutes == 3
    assert door.check_facilitator_key(None).reason == "throttled"
    clock.advance(KEY_COOLING - 2 * MINUTE)  # the cooling-off is over
    assert door.check_facilitator_key(KEY).ok


def test_wrong_keys_spread_over_more_than_the_window_do_not_close(door, clock):
    assert wrong(door, KEY_FAILURES - 1) == ["wrong"] * (KEY_FAILURES - 1)
    clock.advance(KEY_WINDOW + 1)
    assert wrong(door, KEY_FAILURES - 1) == ["wrong"] * (KEY_FAILURES - 1)
    assert door.check_facilitator_key(KEY).ok


def test_a_right_key_clears_the_count(door):
    wrong(door, KEY_FAILURES - 1)
    assert door.check_facilitator_key(KEY).ok
    assert wrong(door, KEY_FAILURES - 1) == ["wrong"] * (KEY_FAILURES - 1)


def test_each_closing_lasts_longer_up_to_an_hour_and_a_quiet_day_starts_over(door, clock):
    lengths = []
    for _ in range(6):
        *_before, last = wrong(door, KEY_FAILURES)
        assert last == "throttled"
        check = door.check_facilitator_key(KEY)
        lengths.append(check.retry_after)
        clock.advance(check.retry_after)
        assert door.check_facilitator_key(KEY).ok  # a right key after the cooling-off works
    assert lengths == [KEY_COOLING, 2 * KEY_COOLING, 4 * KEY_COOLING, 8 * KEY_COOLING,
                       KEY_COOLING_MAX, KEY_COOLING_MAX]
    clock.advance(KEY_FORGET + 1)
    wrong(door, KEY_FAILURES)
    assert door.check_facilitator_key(KEY).retry_after == KEY_COOLING


def test_the_count_is_shared_by_every_page_of_the_server(tmp_path, clock):
    """Each page is its own kernel: the count lives in the store, not in one process."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'room.db'}")
    pages = [Workbook.open(settings, upgrade=True)]
    pages += [Workbook.open(settings) for _ in range(KEY_FAILURES - 1)]
    try:
        doors = [AccessService(p.store, clock=clock) for p in pages]
        doors[0].issue_facilitator_key(KEY)
        reasons = [d.check_facilitator_key("guess").reason for d in doors]
        assert reasons == ["wrong"] * (KEY_FAILURES - 1) + ["throttled"]
        assert all(d.check_facilitator_key(KEY).reason == "throttled" for d in doors)
        assert pages[0].store.find_server_state(KEY_ATTEMPTS)["closings"] == 1
    finally:
        for p in pages:
            p.close()


def test_the_key_is_compared_with_every_stored_hash_in_constant_time(door, monkeypatch):
    for i in range(4):
        door.issue_facilitator_key(f"older-{i}")
    hashes = door.store.find_facilitator_key_hashes()
    assert len(hashes) == 5 and hash_secret(KEY) in hashes
    compared = []

    def compare_digest(a, b):
        compared.append(b)
        return a == b

    monkeypatch.setattr(access.hmac, "compare_digest", compare_digest)
    for key in (KEY, "older-0", "wrong"):
        compared.clear()
        door.is_facilitator_key(key)
        assert sorted(compared) == sorted(hashes), key  # no early exit on a match


@pytest.mark.parametrize("lang,minutes,text", [
    ("en", 5, "Too many wrong keys. Try again in 5 minutes."),
    ("en", 1, "Too many wrong keys. Try again in a minute."),
    ("zh", 5, "错误的密钥次数太多，请 5 分钟后再试。"),
])
def test_the_throttled_message_says_how_long(door, clock, lang, minutes, text):
    wrong(door, KEY_FAILURES)
    clock.advance(KEY_COOLING - minutes * MINUTE + 1)
    assert door.check_facilitator_key(KEY).message(translator(lang)) == text


def test_the_key_gate_shows_why_the_page_stays_shut(wb, door):
    from widgets.keygate import key_refusal

    wb.access = door  # as the pages see it: workbook.access
    _ = translator("en")
    assert key_refusal(wb, KEY, _) is None
    for key, cls in ((None, "wb-key-missing"), ("nope", "wb-key-wrong")):
        page = key_refusal(wb, key, _)
        assert "wb-access-denied" in page.value and cls in page.value
    wrong(door, KEY_FAILURES)
    page = key_refusal(wb, KEY, _)
    assert "wb-key-throttled" in page.value and "Try again in 5 minutes" in page.value


def test_the_stored_member_answers_for_a_page_that_kept_an_old_one(wb):
    """A participant's page keeps the Member it loaded; the rules of a write must ask the
    store, where the facilitator may have moved the person or taken them off the list."""
    from actionlab.errors import InvalidInput
    from actionlab.services.access import stored_member

    ws = wb.workshops.create("Moves", "en", 2)
    first, second = wb.workshops.groups(ws)
    loaded = wb.workshops.join(ws.code, first.id, "Ann").member
    wb.teams.assign(ws, loaded.id, second.id)
    assert loaded.group_id == first.id  # what the page still holds
    assert stored_member(wb.store, loaded.id).group_id == second.id
    wb.store.remove_member("facilitator", loaded.id)
    with pytest.raises(InvalidInput, match="no longer on this workshop's list"):
        stored_member(wb.store, loaded.id)


def test_unlock_opens_key_checks_at_once(door):
    assert not door.unlock()  # nothing was closed
    wrong(door, KEY_FAILURES)
    assert door.check_facilitator_key(KEY).reason == "throttled"
    assert door.unlock()
    assert door.check_facilitator_key(KEY).ok
    assert wrong(door, KEY_FAILURES - 1) == ["wrong"] * (KEY_FAILURES - 1)  # the count starts over
