"""The page's live loop: one asyncio task that polls the change log and notifies views.

It runs in the kernel's own event loop (no threads touch widgets) and hands each batch of
changes to the views that subscribed; each view refreshes only what the batch touches.

When to ask the store: as soon as the store's change signal fires (:mod:`actionlab.db.signal`:
a PostgreSQL notification wakes the loop through its socket; on SQLite the loop looks at the
database files every ``watch`` seconds, a pair of ``stat`` calls), and every ``fallback``
seconds whatever the signal says. Without a working signal it asks every ``interval`` seconds.
The tickers (countdowns, presence) run every ``interval`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from actionlab.errors import StoreError
from actionlab.services import ChangeFeed
from actionlab.services.live import ChangeBatch

log = logging.getLogger("actionlab.widgets.live")  # under "actionlab": see pages.log_to_server


class LiveLoop:
    #: Seconds between two looks at the SQLite files (the loop's reaction time there).
    watch = 0.05
    #: Seconds after which the store is asked even though the signal said nothing.
    fallback = 3.0
    #: Seconds between attempts to get a new signal once one has broken.
    reopen = 30.0

    def __init__(self, feed: ChangeFeed, interval: float = 0.4):
        self.feed = feed
        self.interval = interval
        self._subscribers: list[Callable[[ChangeBatch], None]] = []
        self._tickers: list[Callable[[], None]] = []
        self._task: asyncio.Task | None = None
        self._pending: asyncio.Handle | None = None  # start() called before the event loop ran
        self._signal = None
        self._fd: int | None = None
        self._woken: asyncio.Event | None = None
        self.online = True
        self.on_status: Callable[[bool], None] | None = None

    def subscribe(self, callback: Callable[[ChangeBatch], None]) -> None:
        self._subscribers.append(callback)

    def every(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every poll (countdowns, presence): no database needed."""
        self._tickers.append(callback)

    def tick(self) -> ChangeBatch:
        """One poll and one round of the tickers. Returns the batch (tests call this directly)."""
        batch = self.poll()
        self.run_tickers()
        return batch

    def poll(self) -> ChangeBatch:
        """Ask the store for new changes and hand them to the subscribers."""
        try:
            batch = self.feed.poll()
        except StoreError:
            self._set_online(False)
            return ChangeBatch()
        self._set_online(True)
        if batch:
            for callback in list(self._subscribers):
                try:
                    callback(batch)
                except Exception:  # one broken view must not stop the room
                    log.exception("view refresh failed")
        return batch

    def run_tickers(self) -> None:
        for callback in list(self._tickers):
            try:
                callback()
            except Exception:
                log.exception("view tick failed")

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            if self.on_status:
                self.on_status(online)

    # -- the task ---------------------------------------------------------------------------
    def _open_signal(self) -> None:
        signal_of = getattr(self.feed, "signal", None)
        try:
            self._signal = signal_of() if signal_of else None
        except Exception:  # the store answers polls but gives no signal: poll at every interval
            log.exception("no change signal")
            self._signal = None
        self._fd = self._signal.fileno() if self._signal is not None else None
        if self._fd is not None:
            self._woken = asyncio.Event()
            asyncio.get_running_loop().add_reader(self._fd, self._woken.set)

    def _close_signal(self) -> None:
        signal, self._signal = self._signal, None
        if self._fd is not None:
            try:
                asyncio.get_running_loop().remove_reader(self._fd)
            except (RuntimeError, ValueError, OSError):
                pass
            self._fd = None
        if signal is not None:
            signal.close()

    async def _wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``; a readable signal socket ends the wait early."""
        if self._woken is None or self._fd is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._woken.wait(), seconds)
        except asyncio.TimeoutError:
            pass
        self._woken.clear()

    async def _run(self) -> None:
        clock = asyncio.get_running_loop().time
        self._open_signal()
        try:
            self.tick()
            polled = ticked = opened = clock()
            while True:
                signal = self._signal
                if signal is None or signal.broken:
                    if signal is not None and clock() - opened >= self.reopen:
                        self._close_signal()  # try a new one (the server may be back)
                        self._open_signal()
                        opened = clock()
                    await asyncio.sleep(max(self.interval - (clock() - ticked), 0))
                    self.tick()
                    polled = ticked = clock()
                    continue
                pause = self.interval if self._fd is not None else self.watch
                await self._wait(min(pause, max(self.interval - (clock() - ticked), 0)))
                now = clock()
                changed = signal.changed()
                if signal.broken and self._fd is not None:  # lost just now: stop watching it
                    asyncio.get_running_loop().remove_reader(self._fd)
                    self._fd = None
                    opened = now
                if changed or now - polled >= self.fallback:
                    self.poll()
                    polled = now
                if now - ticked >= self.interval:
                    self.run_tickers()
                    ticked = now
        finally:
            self._close_signal()

    def start(self) -> None:
        """Run the loop on the running event loop (a page's kernel runs its cells on it). Called
        outside one (a page built in a test), the loop begins when the event loop next runs,
        and nothing is made until then."""
        if (self._task is not None and not self._task.done()) or self._pending is not None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._pending = asyncio.get_event_loop().call_soon(self._begin)
            return
        self._begin()

    def _begin(self) -> None:
        self._pending = None
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task) -> None:
        """A loop that died of an unexpected error starts again: a page never freezes quietly."""
        if task.cancelled() or task is not self._task or task.exception() is None:
            return
        log.error("live loop stopped; starting it again", exc_info=task.exception())
        asyncio.get_event_loop().call_later(self.interval, self._restart, task)

    def _restart(self, task: asyncio.Task) -> None:
        if self._task is task:  # not stopped or restarted meanwhile
            self.start()

    def stop(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
