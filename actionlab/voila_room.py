"""Voila for the room: pages whose browser has gone are shut down, and a full room says so.

``actionlab serve`` runs ``python -m actionlab.voila_room`` (Voila with two parts swapped in):

* :class:`RoomKernelManager`, Voila's kernel manager class
  (``--VoilaConfiguration.multi_kernel_manager_class``). Voila builds its own class on top of
  it (``voila_kernel_manager_factory``), with or without preheated kernels. It watches the
  websocket connections of every kernel (the ``notify_connect``/``notify_disconnect`` calls
  jupyter_server makes for each kernel websocket) and shuts down a kernel that has had none
  for ``grace`` seconds (:class:`actionlab.kernels.KernelWatch`). Preheated kernels still in
  Voila's pool are never culled. It refuses to start a page's kernel beyond ``max_kernels``
  (:class:`actionlab.kernels.Seats`).
* :class:`RoomPageHandler`, the handler of ``/voila/render/<page>``: it asks for a seat before
  Voila loads the notebook and answers "the room is full" (503, our template) instead.

Jupyter's idle culling cannot do this job: a page's live loop runs every fraction of a second,
so its kernel never looks idle.
"""

from __future__ import annotations

import contextvars
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Integer
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .kernels import RETRY_SECONDS, KernelWatch, Seats, page_lang, room_full_page
from .settings import Settings


class RoomFull(Exception):
    """No seat left for this page's kernel."""


@dataclass
class PageVisit:
    """One page request: whether it is the facilitator's (asked only in a full room) and the
    kernels it started."""

    facilitator: Callable[[], bool] = lambda: False
    kernel_ids: list[str] = field(default_factory=list)


#: The page request being served, seen by the kernel manager when Voila starts its kernel
#: (the handler awaits ``start_kernel`` in its own task, so the context carries over).
PAGE_VISIT: contextvars.ContextVar[PageVisit | None] = contextvars.ContextVar("actionlab_page_visit",
                                                                               default=None)


class RoomKernelManager(AsyncMappingKernelManager):
    grace = Float(120.0, config=True,
                  help="Seconds a kernel may have no browser connected before it is shut down "
                       "(0 or less: never).")
    max_kernels = Integer(60, config=True, help="Most kernels the room runs at once (0: no cap).")
    facilitator_reserve = Integer(4, config=True,
                                  help="Of max_kernels, how many only pages with a valid facilitator "
                                       "key may use.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.watch = KernelWatch(grace=self.grace)
        self._starting = 0
        self._sweeper: PeriodicCallback | None = None

    # -- seats ------------------------------------------------------------------------------

    @property
    def seats(self) -> Seats:
        return Seats(self.max_kernels, self.facilitator_reserve)

    def kernels_in_use(self) -> int:
        """Running kernels and those being started (preheated ones included)."""
        return len(self._kernels) + self._starting

    def has_seat(self, visit: PageVisit) -> bool:
        return self.seats.admits(self.kernels_in_use(), visit.facilitator)

    async def start_kernel(self, **kwargs) -> str:
        visit = PAGE_VISIT.get()
        preheat = (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True"
        by_page = visit is not None and not preheat
        # no await between the check and the count: two requests cannot take the last seat
        if by_page and not self.has_seat(visit):
            raise RoomFull()
        self._starting += 1
        try:
            kernel_id = await super().start_kernel(**kwargs)
        finally:
            self._starting -= 1
        self.watch.started(kernel_id, by_page=by_page)
        if by_page:
            visit.kernel_ids.append(kernel_id)
        self._start_sweeping()
        return kernel_id

    def page_done(self, visit: PageVisit) -> None:
        """The page request has ended: its kernels' clocks start unless a browser holds them."""
        for kernel_id in visit.kernel_ids:
            self.watch.rendered(kernel_id, self._kernel_connections.get(kernel_id, 0))

    # -- connections ------------------------------------------------------------------------

    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        self.watch.connected(kernel_id)

    def notify_disconnect(self, kernel_id):
        super().notify_disconnect(kernel_id)
        if kernel_id in self._kernel_connections:
            self.watch.disconnected(kernel_id, self._kernel_connections[kernel_id])

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self.watch.forget(kernel_id)
        return await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))

    # -- culling ----------------------------------------------------------------------------

    def _start_sweeping(self) -> None:
        if self._sweeper is None and self.grace > 0:
            every = min(max(self.grace / 4, 0.5), 15.0)
            self._sweeper = PeriodicCallback(self.sweep, every * 1000)
            self._sweeper.start()
            self.log.info("actionlab: a kernel with no browser for %.0f s is shut down; "
                          "at most %s kernels (%s kept for the facilitator)",
                          self.grace, self.max_kernels or "any", self.facilitator_reserve)

    def _pooled(self) -> set[str]:
        """Preheated kernels waiting in Voila's pool (no page has claimed them yet)."""
        pooled = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    pooled.add(task.result().get("kernel_id"))
        return pooled

    async def sweep(self) -> list[str]:
        """Shut down the kernels past their grace; returns their ids."""
        for kernel_id in self._pooled():
            self.watch.held(kernel_id)
        culled = []
        for kernel_id, alone in self.watch.due(list(self._kernels)):
            if self._kernel_connections.get(kernel_id, 0) > 0:
                self.watch.connected(kernel_id)
                continue
            self.log.warning("actionlab: kernel %s has had no browser for %.0f s; shutting it down",
                             kernel_id, alone)
            self.watch.forget(kernel_id)
            try:
                await ensure_async(self.shutdown_kernel(kernel_id))
            except Exception:  # already gone, or failing to stop: try the next one
                self.log.exception("actionlab: could not shut down kernel %s", kernel_id)
            else:
                culled.append(kernel_id)
        return culled

    async def shutdown_all(self, *args, **kwargs):
        if self._sweeper is not None:
            self._sweeper.stop()
            self._sweeper = None
        return await ensure_async(super().shutdown_all(*args, **kwargs))


@functools.cache
def _access():
    """The facilitator-key check, on the store the pages use (opened once, when first needed)."""
    from .services.access import AccessService
    from .store import Store

    settings = Settings.from_env()
    return AccessService(Store.open(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms))


def is_facilitator_key(key: str) -> bool:
    """Whether a page's key opens the facilitator's reserve. Asked only in a full room, and
    counted like the pages' own checks (wrong keys are throttled server-wide)."""
    if not key:
        return False
    try:
        return _access().check_facilitator_key(key).ok
    except Exception:  # the store unreachable: no reserve (the pages report the store)
        return False


class RoomPageHandler(TornadoVoilaHandler):
    """``/voila/render/<page>``: a seat for the page's kernel, or the "room is full" page."""

    @tornado.web.authenticated
    async def get(self, path=None):
        manager = self.kernel_manager
        if not isinstance(manager, RoomKernelManager):
            return await super().get(path)
        key = self.get_argument("key", "")
        visit = PageVisit(facilitator=functools.cache(lambda: is_facilitator_key(key)))
        token = PAGE_VISIT.set(visit)
        try:
            if not manager.has_seat(visit):
                raise RoomFull()
            await super().get(path)
        except RoomFull:
            self._room_full(manager)
        finally:
            PAGE_VISIT.reset(token)
            manager.page_done(visit)

    def _room_full(self, manager: RoomKernelManager) -> None:
        self.log.warning("actionlab: room full (%s of %s kernels); refused %s",
                         manager.kernels_in_use(), manager.max_kernels, self.request.path)
        lang = page_lang(self.get_argument("lang", None), self.request.headers.get("Accept-Language"),
                         Settings.from_env().default_lang)
        self.clear()
        self.set_status(503)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.set_header("Retry-After", str(RETRY_SECONDS))
        query = self.request.query
        self.finish(room_full_page(lang, self.request.path + (f"?{query}" if query else "")))


class RoomVoila(Voila):
    """Voila with :class:`RoomPageHandler` serving the pages."""

    def init_handlers(self):
        return [(rule[0], RoomPageHandler, *rule[2:]) if rule[1] is TornadoVoilaHandler else rule
                for rule in super().init_handlers()]


def main(argv: list[str] | None = None) -> None:
    RoomVoila.launch_instance(argv)


if __name__ == "__main__":
    # Run through the package's own module, so the handler and the kernel manager (named by
    # its import path in the configuration) share one PAGE_VISIT.
    from actionlab.voila_room import main as _main

    _main(sys.argv[1:])
