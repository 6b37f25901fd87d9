"""Voila for the room: pages whose browser has gone are shut down, and a full room says so.

``actionlab serve`` runs ``python -m actionlab.voila_room`` (Voila with two parts swapped in):

* :class:`RoomKernelManager`, Voila's kernel manager class
  (``--VoilaConfiguration.multi_kernel_manager_class``). Voila builds its own class on top of
  it (``voila_kernel_manager_factory``), with or without preheated kernels. It watches the
  websocket connections of every kernel (the ``notify_connect``/``notify_disconnect`` calls
  jupyter_server makes for each kernel websocket) and shuts down a kernel that has had none
  for ``grace`` seconds (:class:`actionlab.kernels.KernelWatch`). Preheated kernels still in
  Voila's pool are never culled. It refuses to start a page's kernel beyond ``max_kernels``
  (:class:`actionlab.kernels.Seats`). It keeps each kernel's activity from its messages'
  headers alone (:mod:`actionlab.activity`).
* :class:`RoomPageHandler`, the handler of ``/voila/render/<page>``: it asks for a seat before
  Voila loads the notebook and answers "the room is full" (503, our template) instead.

* :class:`PooledRoomKernelManager` (with ``--preheat_kernel``), built on Voila's preheated
  kernel manager: participant kernels are started, and the page's notebook run up to
  :func:`actionlab.preheat.wait_for_request`, before anyone comes, so a person who scans the
  code gets a kernel that has already imported and opened everything. The pool is sized to the
  expected room (``preheat``): it shrinks as people arrive (to a small margin for reloads and late
  comers), grows back as their kernels go, never takes seats beyond ``max_kernels`` and heats
  its kernels a few at a time, so refilling it leaves CPU to the pages in use.

Jupyter's idle culling cannot do this job: a page's live loop runs every fraction of a second,
so its kernel never looks idle.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Integer
from voila import app as voila_app
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.voila_kernel_manager import voila_kernel_manager_factory

from . import storeserver
from .activity import watch_activity
from .gzipcache import CachedGZip
from .kernels import RETRY_SECONDS, KernelWatch, Seats, page_lang, pool_target, room_full_page
from .server import is_page
from .settings import Settings
from .urls import PAGES

#: The notebooks whose kernels are preheated: the participants' page (the console and the
#: projector open once, before the room fills).
POOLED_NOTEBOOKS = frozenset({PAGES["participant"]})


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
    preheat = Integer(0, config=True,
                      help="Participant kernels to keep started ahead: the expected number of "
                           "people (with --preheat_kernel).")
    refill_delay = Float(5.0, config=True,
                         help="Seconds after a preheated kernel is taken before a new one is "
                              "started (people arrive in bursts: the pool refills after one).")
    heat_at_once = Integer(2, config=True, help="Preheated kernels started at the same time.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.watch = KernelWatch(grace=self.grace)
        self._starting = 0
        self._unpooled: set[str] = set()  # kernels not started for a pool of preheated ones
        self._starting_unpooled = 0
        self._sweeper: PeriodicCallback | None = None

    def start_watching_activity(self, kernel_id):
        """Keep each kernel's activity from its messages' headers (:mod:`actionlab.activity`)."""
        watch_activity(self, kernel_id)

    # -- seats ------------------------------------------------------------------------------

    @property
    def seats(self) -> Seats:
        return Seats(self.max_kernels, self.facilitator_reserve)

    def kernels_in_use(self) -> int:
        """Running kernels and those being started (preheated ones included)."""
        return len(self._kernels) + self._starting

    def kernels_outside_pool(self) -> int:
        """Running or starting kernels that were not started for the pool of preheated ones."""
        return len(self._unpooled & set(self._kernels)) + self._starting_unpooled

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
        self._starting_unpooled += not preheat
        try:
            kernel_id = await super().start_kernel(**kwargs)
        finally:
            self._starting -= 1
            self._starting_unpooled -= not preheat
        if not preheat:
            self._unpooled.add(kernel_id)
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
        self._unpooled.discard(kernel_id)
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


def room_kernel_manager_factory(base_class, preheat_kernel: bool, default_pool_size: int,
                                page_config_hook=None):
    """Voila's kernel manager factory, with :class:`PooledRoomKernelManager`'s pool rules on top
    of Voila's preheated kernels (``RoomVoila`` has Voila call this one)."""
    made = voila_kernel_manager_factory(base_class, preheat_kernel, default_pool_size,
                                        page_config_hook=page_config_hook)
    if not preheat_kernel or not issubclass(base_class, RoomKernelManager):
        return made

    class PooledRoomKernelManager(made):
        """Preheated participant kernels, sized to the room (see the module's docstring)."""

        def __init__(self, **kwargs):
            self._claimed: set[str] = set()
            self._taking = 0  # requests taking a kernel from the pool right now
            self._closing = False
            self._heating: asyncio.Semaphore | None = None
            super().__init__(**kwargs)

        # -- the pool's size ----------------------------------------------------------------
        def target(self, notebook_name: str | None) -> int:
            if notebook_name not in POOLED_NOTEBOOKS or self._closing:
                return 0
            # every kernel not waiting in the pool: pages started as usual, and those taken
            others = self.kernels_outside_pool() + len(self._claimed) + self._taking
            return pool_target(self.preheat, len(self._claimed) + self._taking, others, self.seats)

        def pool_ready(self, notebook_name: str) -> bool:
            """Whether a request for this notebook will get a preheated kernel (ready or
            being heated)."""
            self._drop_failed(notebook_name)
            return bool(self._pools.get(notebook_name)) and notebook_name in self.notebook_data

        def _drop_failed(self, notebook_name: str) -> None:
            pool = self._pools.get(notebook_name)
            if pool:
                pool[:] = [t for t in pool
                           if not (t.done() and (t.cancelled() or t.exception() is not None))]

        # -- filling -------------------------------------------------------------------------
        def fill_if_needed(self, delay=None, notebook_name=None, extra_kernel_env_variables=None,
                           **kwargs) -> None:
            if notebook_name not in POOLED_NOTEBOOKS:
                return
            self._drop_failed(notebook_name)
            pool = self._pools.setdefault(notebook_name, [])
            missing = self.target(notebook_name) - len(pool)
            if missing <= 0:
                return
            env = {**os.environ, **(kwargs.get("env") or {}), **(extra_kernel_env_variables or {})}
            env.update({"VOILA_BASE_URL": self.parent.base_url,
                        "VOILA_SERVER_URL": self.parent.server_url,
                        "VOILA_APP_PORT": str(self.parent.port),
                        "VOILA_PREHEAT": "True"})
            kwargs = {**kwargs, "env": env}
            kwargs.setdefault("path", os.path.dirname(notebook_name))
            delay = self.refill_delay if delay is None else delay
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
            for _ in range(missing):
                pool.append(loop.create_task(self._heat(delay, notebook_name, kwargs)))
            self.log.info("actionlab: heating %s more kernel(s) for %s (%s waiting, %s taken)",
                          missing, notebook_name, len(pool), len(self._claimed))

        async def _heat(self, delay: float, notebook_name: str, kwargs: dict) -> dict:
            if delay:
                await asyncio.sleep(delay)
            if self._heating is None:
                self._heating = asyncio.Semaphore(max(self.heat_at_once, 1))
            async with self._heating:
                return await self._initialize(notebook_name, None, **kwargs)

        # -- taking one ----------------------------------------------------------------------
        async def get_rendered_notebook(self, notebook_name: str, extra_kernel_env_variables=None,
                                        **kwargs):
            self._drop_failed(notebook_name)
            self._taking += 1
            try:
                render_task, rendered, kernel_id = await super().get_rendered_notebook(
                    notebook_name, extra_kernel_env_variables or {}, **kwargs)
            finally:
                self._taking -= 1
            self._claimed.add(kernel_id)
            # from now on it is the visitor's page: its clock waits for the render to end
            self.watch.forget(kernel_id)
            self.watch.started(kernel_id, by_page=True)
            visit = PAGE_VISIT.get()
            if visit is not None:
                visit.kernel_ids.append(kernel_id)
            return render_task, rendered, kernel_id

        async def shutdown_kernel(self, kernel_id, *args, **kwargs):
            try:
                return await super().shutdown_kernel(kernel_id, *args, **kwargs)
            finally:
                if kernel_id in self._claimed:
                    self._claimed.discard(kernel_id)
                    for name in POOLED_NOTEBOOKS:  # a person has gone: the pool may grow back
                        self.fill_if_needed(notebook_name=name)

        async def shutdown_all(self, *args, **kwargs):
            self._closing = True
            return await super().shutdown_all(*args, **kwargs)

    return PooledRoomKernelManager


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
        if not is_page(path):  # before any kernel, preheated or not (analysis.ipynb …)
            raise tornado.web.HTTPError(404)
        key = self.get_argument("key", "")
        visit = PageVisit(facilitator=functools.cache(lambda: is_facilitator_key(key)))
        token = PAGE_VISIT.set(visit)
        try:
            pooled = getattr(manager, "pool_ready", None)
            # a preheated kernel already holds its seat
            if not (pooled and pooled(path.strip("/"))) and not manager.has_seat(visit):
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


class QuietTrust(logging.Filter):
    """Drops Jupyter's "Notebook … is not trusted", logged each time a page's notebook is read
    (every kernel of the pool): trust decides whether a notebook's saved outputs are shown in
    JupyterLab, and the workbook's notebooks are saved without outputs and run anyway. Forty
    such warnings in the facilitator's terminal only alarm."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Notebook %s is not trusted"


class RoomVoila(Voila):
    """Voila with :class:`RoomPageHandler` serving the pages, and responses compressed.

    A page brings about 5 MB of scripts and styles; forty phones on the room's Wi-Fi would pull
    200 MB from the laptop. Compressed (gzip, for browsers that ask for it, as all do) they
    take about a quarter of that; the static files are compressed once, not for every page
    (:mod:`actionlab.gzipcache`)."""

    def listen(self):
        self.app.add_transform(CachedGZip)  # the application is built: before it serves
        self.log.addFilter(QuietTrust())
        super().listen()

    def init_handlers(self):
        return [(rule[0], RoomPageHandler, *rule[2:]) if rule[1] is TornadoVoilaHandler else rule
                for rule in super().init_handlers()]


def main(argv: list[str] | None = None) -> None:
    # Voila builds its kernel manager class with this factory (voila.app imports it by name):
    # ours adds the room's pool rules to Voila's preheated kernels.
    voila_app.voila_kernel_manager_factory = room_kernel_manager_factory
    # The participants' kernels reach the store through one server process; started before
    # any kernel, so every kernel (and the kernels' parent) finds its socket in the environment.
    store_server = storeserver.start() if storeserver.wanted() else None
    try:
        RoomVoila.launch_instance(argv)
    finally:
        if store_server is not None:
            store_server.close()


if __name__ == "__main__":
    # Run through the package's own module, so the handler and the kernel manager (named by
    # its import path in the configuration) share one PAGE_VISIT.
    from actionlab.voila_room import main as _main

    _main(sys.argv[1:])
