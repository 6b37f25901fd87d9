"""Change signals: a page learns of a write without polling the store, and never misses one.

The PostgreSQL side (NOTIFY at commit, a listening socket) runs against a real server in
tests/integration/test_live_signal_db.py.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap

from actionlab.db.signal import ChangeSignal, FileStatSignal
from actionlab.services.canvas import FACILITATOR_AUTHOR
from tests.support.loops import run_in_own_loop
from widgets.live import LiveLoop


async def until(condition, seconds: float = 10.0) -> None:
    """Wait (in the loop, so the live loop runs meanwhile) until ``condition()`` holds."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


def loop_sees_a_card(wb, name: str, looks, *, fallback: float) -> list[str]:
    """Run a live loop on a signal whose ``changed()`` answers ``looks(signal, first_look)``;
    once the loop has looked, add a card. Returns the actions the loop handed on."""
    ws = wb.workshops.create(name, "en", 1)
    group = wb.workshops.groups(ws)[0]

    class Signal(ChangeSignal):
        broken = False
        looked = False

        def changed(self):
            first, Signal.looked = not Signal.looked, True
            return looks(self, first)

    feed = wb.feed(ws.id)
    feed.signal = Signal
    loop = LiveLoop(feed, interval=0.05)
    loop.fallback = fallback
    seen: list[str] = []
    loop.subscribe(lambda batch: seen.extend(c.action for c in batch.changes))

    async def scenario():
        loop.start()
        await until(lambda: Signal.looked)
        wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "late")
        await until(lambda: seen)
        loop.stop()

    run_in_own_loop(scenario)
    return seen


def test_sqlite_signal_fires_once_per_commit_and_not_on_reads(wb):
    ws = wb.workshops.create("Signal", "en", 1)
    group = wb.workshops.groups(ws)[0]
    signal = wb.store.change_signal(ws.id)
    assert isinstance(signal, FileStatSignal)
    assert not signal.changed()
    wb.canvas.cards(ws, group.id)  # a read changes nothing on disk
    assert not signal.changed()
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "one")
    assert signal.changed()
    assert not signal.changed()  # seen once


def test_live_loop_hands_over_a_write_from_another_process_without_waiting_for_the_fallback(
        wb, tmp_path):
    """Another kernel writes; this page's loop sees it within its watch period, long before
    the fallback poll (set to an hour here) would have asked the store."""
    ws = wb.workshops.create("Other process", "en", 1)
    group = wb.workshops.groups(ws)[0]
    loop = LiveLoop(wb.feed(ws.id), interval=0.2)
    loop.fallback = 3600.0
    seen: list[str] = []
    loop.subscribe(lambda batch: seen.extend(c.action for c in batch.changes))
    writer = textwrap.dedent(f"""
        from actionlab.services import Workbook
        from actionlab.services.canvas import FACILITATOR_AUTHOR
        from actionlab.settings import Settings
        wb = Workbook.open(Settings(db_url={wb.settings.db_url!r}))
        ws = wb.workshops.find({ws.code!r})
        wb.canvas.add_card(FACILITATOR_AUTHOR, ws, {group.id}, "restructure", "symptoms", "from afar")
    """)

    async def scenario():
        loop.start()
        await asyncio.sleep(0.3)  # the loop's first poll has run
        assert seen == []
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", writer)
        assert await proc.wait() == 0
        await until(lambda: seen)  # one watch period (0.05 s) should do
        loop.stop()

    run_in_own_loop(scenario)
    assert seen == ["card.add"]


def test_without_a_signal_the_loop_polls_at_every_interval(wb):
    ws = wb.workshops.create("No signal", "en", 1)
    group = wb.workshops.groups(ws)[0]
    feed = wb.feed(ws.id)
    feed.signal = ChangeSignal  # never fires, broken: poll every interval
    loop = LiveLoop(feed, interval=0.05)
    seen: list[str] = []
    ticks: list[int] = []
    loop.subscribe(lambda batch: seen.extend(c.action for c in batch.changes))
    loop.every(lambda: ticks.append(1))

    async def scenario():
        loop.start()
        await asyncio.sleep(0.1)
        wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "x")
        await until(lambda: seen)
        loop.stop()

    run_in_own_loop(scenario)
    assert seen == ["card.add"]
    assert len(ticks) >= 2


def test_a_signal_that_breaks_falls_back_to_polling(wb):
    def breaks(signal, _first):
        signal.broken = True  # as PgNotifySignal does when its server goes away
        return True

    assert loop_sees_a_card(wb, "Broken signal", breaks, fallback=3600.0) == ["card.add"]


def test_a_loop_that_dies_of_an_unexpected_error_starts_again(wb, caplog):
    """An error nobody foresaw (not the store being away) ends the loop's task: it is logged and
    the loop starts again, so the page keeps following the room."""
    def fails_once(_signal, first):
        if first:
            raise RuntimeError("unforeseen")
        return False

    assert loop_sees_a_card(wb, "Dies once", fails_once, fallback=0.1) == ["card.add"]
    assert "live loop stopped" in caplog.text


def test_a_tick_still_polls_and_runs_the_tickers(wb):
    ws = wb.workshops.create("Tick", "en", 1)
    loop = LiveLoop(wb.feed(ws.id))
    ticks = []
    loop.every(lambda: ticks.append(1))
    assert not loop.tick()
    assert ticks == [1]


def test_who_hears_a_notification():
    from actionlab.db.signal import heard, notify_payload

    assert notify_payload(12, 3) == "12:3" and notify_payload(12, None) == "12"
    assert notify_payload(None, None) == ""
    # the projector and the console (no group) hear every change of their workshop
    assert heard("12:3", 12, None) and heard("12", 12, None)
    assert not heard("13:3", 12, None) and not heard("13", 12, None)
    # a participant of group 3 hears its group and the workshop's own changes, not group 4's
    assert heard("12:3", 12, 3) and heard("12", 12, 3)
    assert not heard("12:4", 12, 3) and not heard("13:3", 13 + 1, 3)
    assert heard("", 12, 3)  # a change of no workshop (rare): everyone asks


def test_a_loop_started_before_its_event_loop_runs_begins_with_it_and_leaves_nothing_behind(wb):
    """A page built where no event loop runs yet (a test, say) starts its live loop: it begins
    when the event loop runs; stopped before that, not even a coroutine is left unawaited."""
    import gc
    import threading
    import warnings

    ws = wb.workshops.create("Early start", "en", 1)
    group = wb.workshops.groups(ws)[0]
    outcome: dict = {}

    def in_a_thread_without_a_running_loop():
        events = asyncio.new_event_loop()
        asyncio.set_event_loop(events)
        try:
            early = LiveLoop(wb.feed(ws.id), interval=0.05)
            seen: list[str] = []
            early.subscribe(lambda batch: seen.extend(c.action for c in batch.changes))
            early.start()
            outcome["task_before_running"] = early._task
            wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "x")
            events.run_until_complete(until(lambda: seen))
            outcome["seen"] = list(seen)
            early.stop()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                never = LiveLoop(wb.feed(ws.id), interval=0.05)
                never.start()
                never.stop()
                events.run_until_complete(asyncio.sleep(0.1))
                outcome["never_task"] = never._task
                del never
                gc.collect()
            outcome["warnings"] = [str(w.message) for w in caught]
        finally:
            events.close()
            asyncio.set_event_loop(None)

    thread = threading.Thread(target=in_a_thread_without_a_running_loop)
    thread.start()
    thread.join(60)
    assert outcome["task_before_running"] is None
    assert outcome["seen"] == ["card.add"]
    assert outcome["never_task"] is None
    assert not [m for m in outcome["warnings"] if "never awaited" in m]
