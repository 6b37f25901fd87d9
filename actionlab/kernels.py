"""Kernel hygiene: which page kernels have lost their browser, and whether a page may start one.

Every page is a Voila kernel whose live loop keeps it busy a few times a second, so idle
culling never sees it as idle. What says a page is gone is its browser: a kernel with no
websocket connection for ``grace`` seconds is shut down. The clock starts when a page's
render ends without a connection, or when the last connection closes; a reconnection
(screen unlocked, wifi back) stops it. A page whose browser has not connected yet is still
loading its scripts (about 100 files: a slow phone on a crowded room's Wi-Fi, or forty pages
loading at once on one machine, took more than two minutes in the benchmark), so it has
``FIRST_CONNECTION`` times the grace before its kernel goes.

The room has ``limit`` kernels at most; the last ``reserve`` of them are kept for pages that
carry a valid facilitator key, so the console and projector can still open in a full room.
A refused page gets the "room is full" page (:func:`room_full_page`) and no kernel.

Nothing here imports Voila or Jupyter: ``actionlab.voila_room`` wires these rules into the
server, and unit tests drive them with a fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .i18n import LANGS, translator
from .paths import VOILA_TEMPLATES_ROOT

ROOM_TEMPLATE_DIR = VOILA_TEMPLATES_ROOT / "voila" / "templates" / "actionlab"
#: Seconds after which the "room is full" page asks again by itself.
RETRY_SECONDS = 20
#: How many graces a page's kernel waits for its browser's first connection.
FIRST_CONNECTION = 3


@dataclass
class KernelWatch:
    """Since when each kernel has had no browser; which ones are past their grace."""

    grace: float
    clock: Callable[[], float] = time.monotonic
    _alone_since: dict[str, float] = field(default_factory=dict)
    _rendering: set[str] = field(default_factory=set)
    _loading: set[str] = field(default_factory=set)  # pages whose browser never connected

    def started(self, kernel_id: str, *, by_page: bool) -> None:
        """A kernel started. A page's kernel waits for its render to end before the clock
        starts (the browser connects only then), and then for its first connection
        ``FIRST_CONNECTION`` graces; any other kernel is alone from now."""
        if by_page:
            self._rendering.add(kernel_id)
            self._loading.add(kernel_id)
        else:
            self._alone_since[kernel_id] = self.clock()

    def rendered(self, kernel_id: str, connections: int) -> None:
        """The page request that started ``kernel_id`` has ended (sent, failed or abandoned)."""
        self._rendering.discard(kernel_id)
        if connections <= 0:
            self._alone_since.setdefault(kernel_id, self.clock())

    def connected(self, kernel_id: str) -> None:
        self._alone_since.pop(kernel_id, None)
        self._loading.discard(kernel_id)

    def disconnected(self, kernel_id: str, connections: int) -> None:
        if connections <= 0 and kernel_id not in self._rendering:
            self._alone_since[kernel_id] = self.clock()

    def held(self, kernel_id: str) -> None:
        """A kernel nobody can be connected to yet (a preheated kernel still in Voila's pool):
        its clock starts over, so it is never culled before a page claims it."""
        if kernel_id in self._alone_since:
            self._alone_since[kernel_id] = self.clock()

    def forget(self, kernel_id: str) -> None:
        self._alone_since.pop(kernel_id, None)
        self._rendering.discard(kernel_id)
        self._loading.discard(kernel_id)

    def alone_for(self, kernel_id: str) -> float | None:
        """Seconds ``kernel_id`` has had no browser, or None while it has one (or renders)."""
        since = self._alone_since.get(kernel_id)
        return None if since is None else self.clock() - since

    def due(self, live: Iterable[str]) -> list[tuple[str, float]]:
        """Kernels alone for ``grace`` seconds or more, with how long; ids no longer ``live``
        are forgotten."""
        live = set(live)
        for gone in [k for k in (*self._alone_since, *self._rendering) if k not in live]:
            self.forget(gone)
        now = self.clock()
        first = FIRST_CONNECTION * self.grace
        return sorted(((k, now - since) for k, since in self._alone_since.items()
                       if now - since >= (first if k in self._loading else self.grace)),
                      key=lambda item: -item[1])


@dataclass(frozen=True)
class Seats:
    """How many kernels the room may run; ``limit`` 0 means no cap."""

    limit: int
    reserve: int = 0

    @property
    def for_participants(self) -> int:
        """Kernels any page may use; the rest of ``limit`` is the facilitator's reserve
        (which always leaves participants one seat)."""
        return self.limit - min(max(self.reserve, 0), max(self.limit - 1, 0))

    def admits(self, in_use: int, facilitator: Callable[[], bool]) -> bool:
        """Whether one more kernel may start; ``facilitator`` is asked only when the
        participants' seats are taken."""
        if self.limit <= 0 or in_use < self.for_participants:
            return True
        return in_use < self.limit and facilitator()


def pool_target(expected: int, claimed: int, others: int, seats: Seats) -> int:
    """How many preheated participant kernels to keep: the people still expected
    (``expected - claimed``), but at least a margin for reloads and late comers (a tenth of the
    room, at least 2, never more than ``expected``), and never so many that the pool with the
    ``others`` kernels running would take a participant seat that is not there."""
    if expected <= 0:
        return 0
    margin = min(expected, max(2, expected // 10))
    wanted = max(expected - max(claimed, 0), margin)
    if seats.limit > 0:
        wanted = min(wanted, seats.for_participants - others)
    return max(wanted, 0)


def page_lang(query_lang: str | None, accept_language: str | None, default_lang: str) -> str:
    """The language of a page Voila renders itself: the page's ``lang`` parameter, else the
    browser's first supported language (Accept-Language, by weight), else the workbook's."""
    def supported(tag: str | None) -> str | None:
        head = (tag or "").strip().replace("_", "-").split("-")[0].lower()
        return head if head in LANGS else None

    if supported(query_lang):
        return supported(query_lang)
    weighted = []
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if supported(tag) and weight > 0:
            weighted.append((-weight, order, supported(tag)))
    if weighted:
        return min(weighted)[2]
    return supported(default_lang) or "zh"


_env = Environment(loader=FileSystemLoader(str(ROOM_TEMPLATE_DIR)),
                   autoescape=select_autoescape(default=True, default_for_string=True))


def room_full_page(lang: str, retry_url: str, retry_seconds: int = RETRY_SECONDS) -> str:
    """The page a person gets instead of a kernel when the room is full (escaped HTML)."""
    _ = translator(lang)
    return _env.get_template("room_full.html.j2").render(
        lang="zh-CN" if lang == "zh" else lang,
        retry_url=retry_url,
        retry_seconds=int(retry_seconds),
        title=_("The room is full"),
        lead=_("Every place in this room is taken at the moment."),
        advice=_("Please try again in a minute, or ask the facilitator for help."),
        retry=_("Try again"),
        auto=_("This page tries again by itself every {seconds} seconds.", seconds=int(retry_seconds)),
    )
