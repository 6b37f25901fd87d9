"""The page's live loop: one asyncio task that polls the change log and notifies views.

It runs in the kernel's own event loop (no threads touch widgets), asks the store for changes
after the last revision it saw a few times a second, and hands each batch to the views that
subscribed; each view refreshes only what the batch touches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from actionlab.errors import StoreError
from actionlab.services import ChangeFeed
from actionlab.services.live import ChangeBatch

log = logging.getLogger(__name__)


class LiveLoop:
    def __init__(self, feed: ChangeFeed, interval: float = 0.4):
        self.feed = feed
        self.interval = interval
        self._subscribers: list[Callable[[ChangeBatch], None]] = []
        self._tickers: list[Callable[[], None]] = []
        self._task: asyncio.Task | None = None
        self.online = True
        self.on_status: Callable[[bool], None] | None = None

    def subscribe(self, callback: Callable[[ChangeBatch], None]) -> None:
        self._subscribers.append(callback)

    def every(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every poll (countdowns, presence): no database needed."""
        self._tickers.append(callback)

    def tick(self) -> ChangeBatch:
        """One poll; notifies subscribers. Returns the batch (tests call this directly)."""
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
        for callback in list(self._tickers):
            try:
                callback()
            except Exception:
                log.exception("view tick failed")
        return batch

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            if self.on_status:
                self.on_status(online)

    async def _run(self) -> None:
        while True:
            self.tick()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_event_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
