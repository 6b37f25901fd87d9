"""Benchmark of several rooms on one PostgreSQL, with simulated pages instead of browsers.

N participants over R rooms, each room its own Voila process (``actionlab serve --base-url
/roomI/``), all on one PostgreSQL database.

``python bench/bench_rooms.py --help`` lists the options; the defaults are the issue's case,
200 participants over 5 rooms (about 200 page kernels: mind the memory).

What it does, all on 127.0.0.1 and in a temporary folder it removes:

* a throw-away PostgreSQL (``tests/support/pg.py``) with ``max_connections`` 3 per participant
  + 50, one database, migrated with ``actionlab db upgrade``;
* one workshop per room (5 groups), its members joined ahead through the services (as a person
  who joined earlier, back on their personal link);
* R rooms (``tests/support/server.py``; room 1 first, it stores the shared facilitator key,
  then the others at once), the shipped poll
  interval, ``ACTIONLAB_PREHEAT`` = people per room + 1 and ``ACTIONLAB_MAX_KERNELS`` = people
  per room + 10; it waits until each room's kernel pool is up (kernel processes counted,
  CPU settled; bounded); ``--nginx`` puts the shipped nginx configuration in front
  (``tests/support/nginx.py``) and every page goes through it;
* per room one projector page and that room's participants' pages, simulated
  (``bench/widgetclient.py``: GET of the page, the kernel's websocket, the ipywidgets models
  loaded and kept up to date; every page stays open to the end), ``--join-parallel`` opening
  at a time, or arriving evenly over ``--spread`` seconds ("scan the code now": give
  ``--join-parallel`` N too, so that nobody waits for a turn, which the join time leaves out);
* once every page is open and the rooms have settled again (their pools refilled, CPU quiet;
  bounded), ``--edits`` cards written at ``--rate`` per second overall (one in each 1/rate
  slot, at a random moment of it), each by a random participant in any room, as the page
  would: the new-card text (``wb-add-text`` in the column ``wb-column-<--column>``) set, the
  ``wb-add-button`` clicked. Propagation is the time from sending the click until the room's
  projector kernel sends an update holding that card's text (``--verbose`` logs every card).

Reported: propagation p50/p95/max over all rooms (target p95 ≤ 500 ms), cards never seen
within ``--edit-timeout``, join time per page (GET until its canvas takes a card) p50/p95,
kernel memory (RSS of every kernel process of each room, and per participant kernel).

The baseline, in the same run after the rooms have stopped: plain ``voila`` with default
settings serving ``bench/baseline/`` (the participant and projector notebooks of the
single-room benchmark ``bench/bench_room.py``: pandas and matplotlib imported, cards in a shared
SQLite file, ``BENCH_BASELINE_DB``, polled every 0.4 s; the tables are created here as there),
one process with M = min(N, 40) simulated pages (``--baseline-n``) and a projector, the same
edits at the same rate. Its pages start with a join form, filled after the join time is taken
(the rooms' people come back on their personal link). Memory is compared per participant
kernel: plain Voila runs fewer pages.

Results depend on what else the machine runs: take figures on a quiet machine (the readable
part ends with the load average).

The output ends with one JSON object per metric per line::

    {"metric": "rooms_propagation_p95_ms", "value": 180.0, "unit": "ms", "baseline": 95.0, "target": 500.0}

Targets are reported, not asserted: the exit code is 0 unless the run itself fails (a room that
does not start, a page that does not open, a projector that closes); then the logs are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from widgetclient import PageClient, PageError  # noqa: E402

from tests.support.server import is_kernel  # noqa: E402

TARGET_PROPAGATION_P95_MS = 500.0
TARGET_KERNEL_MB = 60.0
BASELINE_DIR = BENCH / "baseline"
BASELINE_MAX = 40
KERNEL_ID_RE = re.compile(r"kernel-([0-9a-f-]{36})\.json")
#: Extra seconds per kernel when waiting for a room's pool (kernels start a few at a time).
SECONDS_PER_KERNEL = 6.0
#: A room's processes count as settled below this many CPU cores, measured over 2 s.
QUIET_CORES = 0.5
#: Seconds without a kernel starting or ending before a room's pool counts as settled (the
#: pool refills a few seconds after people took its kernels).
STABLE_S = 15.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- numbers ------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# -- processes -----------------------------------------------------------------------------------
def kernels_of(pid: int) -> dict[int, tuple[str | None, int]]:
    """The kernel processes a Voila server runs: pid -> (kernel id, RSS in kB)."""
    import psutil

    found = {}
    try:
        children = psutil.Process(pid).children(recursive=True)  # forked kernels too
    except psutil.NoSuchProcess:
        return found
    for child in children:
        try:
            cmdline = child.cmdline()
            if is_kernel(cmdline):
                match = KERNEL_ID_RE.search(" ".join(cmdline))
                found[child.pid] = (match.group(1) if match else None,
                                    child.memory_info().rss // 1024)
        except psutil.NoSuchProcess:
            continue
    return found


def store_server_kb(pid: int) -> int:
    """RSS of the store server a Voila server runs for its participants' pages (0: none)."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for child in children:
        try:
            if "actionlab.storeserver" in " ".join(child.cmdline()):
                total += child.memory_info().rss // 1024
        except psutil.NoSuchProcess:
            continue
    return total


def own_kb(pid: int) -> tuple[int, int]:
    """(USS, PSS) of a process: the memory only it holds, and that plus its share of the pages
    it shares (a page four processes hold counts a quarter). Forked kernels share their
    libraries' pages, which RSS counts in full in every one of them."""
    import psutil

    try:
        info = psutil.Process(pid).memory_full_info()
    except psutil.NoSuchProcess:
        return 0, 0
    return info.uss // 1024, getattr(info, "pss", info.rss) // 1024


def rss_kb(pid: int) -> int:
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss // 1024
    except psutil.NoSuchProcess:
        return 0


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by these processes and their children (those alive now)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            procs = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for one in procs:
            try:
                times = one.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
    return total


def end_leftovers(pids: set[int]) -> None:
    """Kill kernel processes this run's servers started that outlived their server."""
    import psutil

    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if is_kernel(proc.cmdline()):
                proc.kill()
        except psutil.NoSuchProcess:
            continue


class LowMemory(RuntimeError):
    """The machine is about to run out of memory: the run stops before the kernel's OOM killer
    picks a process (on a shared machine, maybe someone else's)."""


def check_memory(min_free_mb: float) -> None:
    import psutil

    free = psutil.virtual_memory().available / 2**20
    if free < min_free_mb:
        raise LowMemory(f"only {free:.0f} MB of memory left (--min-free-mb {min_free_mb:.0f}): "
                        "stopping; try fewer participants")


async def guarded(work, *, timeout: float, min_free_mb: float):
    """Await ``work``, stopping it after ``timeout`` seconds or when memory runs low."""
    task = asyncio.ensure_future(work)
    try:
        for _ in range(int(timeout) + 1):
            done, _pending = await asyncio.wait({task}, timeout=1)
            if done:
                return task.result()
            check_memory(min_free_mb)
        raise TimeoutError(f"the pages' part took more than {timeout:.0f}s")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # its pages close


def wait_settled(pids_of, expected: int | None, timeout: float, what: str, *,
                 min_free_mb: float) -> tuple[int, float]:
    """Wait until the servers run ``expected`` kernels (or their number has not changed for
    STABLE_S: a server that preheats fewer, or ``expected`` None) and use less than
    QUIET_CORES of CPU; bounded by ``timeout``. Returns the kernels found and the seconds
    waited."""
    start = time.monotonic()
    deadline = start + timeout
    last_count, last_change = -1, start
    cpu_before, cpu_at = cpu_seconds(pids_of()), time.monotonic()
    for _ in range(int(timeout / 2) + 2):
        time.sleep(2)
        check_memory(min_free_mb)
        count = sum(len(kernels_of(pid)) for pid in pids_of())
        now = time.monotonic()
        if count != last_count:
            last_count, last_change = count, now
        cpu_now = cpu_seconds(pids_of())
        cores = (cpu_now - cpu_before) / max(now - cpu_at, 0.1)
        cpu_before, cpu_at = cpu_now, now
        counted = (expected is not None and count >= expected) or now - last_change >= STABLE_S
        if counted and cores < QUIET_CORES:
            return count, now - start
        if now > deadline:
            log(f"{what}: {count}/{expected or '?'} kernels, {cores:.2f} cores busy after "
                f"{timeout:.0f}s; going on")
            return count, now - start
    return last_count, time.monotonic() - start


# -- what the rooms serve ------------------------------------------------------------------------
def page_url(origin: str, base_url: str, page: str, **params: str) -> str:
    query = urlencode(params)
    return f"{origin}{base_url}voila/render/{page}.ipynb" + (f"?{query}" if query else "")


@dataclass
class Site:
    """One server as the simulated pages see it."""

    name: str
    projector_url: str
    participant_urls: list[str]
    #: baseline pages open on a join form: (group index, name) per participant
    join_form: list[tuple[int, str]] | None = None
    projector: PageClient | None = None
    pages: list[PageClient] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass
class Editing:
    """The widgets a page writes a card with."""

    page: PageClient
    site: Site
    text: str
    button: str


def card_controls(page: PageClient, column: str | None) -> tuple[str, str] | None:
    """The new-card text and button: under ``wb-column-<column>`` (the workbook) or anywhere
    with the baseline's ``bl-`` classes."""
    if column is None:
        texts, buttons = page.with_class("bl-add-text"), page.with_class("bl-add-button")
        return (texts[0], buttons[0]) if texts and buttons else None
    for box in page.with_class(f"wb-column-{column}"):
        text, button = page.under(box, "wb-add-text"), page.under(box, "wb-add-button")
        if text and button:
            return text, button
    return None


def page_ready(site: Site, column: str | None):
    """When a participant's page is ready for its person: the baseline's join form, or the
    workbook's canvas with its new-card box."""
    if site.join_form is not None:
        return lambda p: p.with_class("bl-join-submit")
    return lambda p: card_controls(p, column)


async def fill_join_form(page: PageClient, group_index: int, name: str, timeout: float) -> None:
    """The baseline's join form: a group (RadioButtons sync ``index``), a name, Join."""
    radio = page.with_class("bl-join-group")
    names = page.with_class("bl-join-name")
    submit = page.with_class("bl-join-submit")
    if not (radio and names and submit):
        raise PageError(f"{page.name}: no join form")
    options = page.models[radio[0]].get("_options_labels") or [None]
    await page.set_state(radio[0], index=group_index % len(options))
    await page.set_value(names[0], name)
    await page.click(submit[0])
    await page.until(lambda p: card_controls(p, None), timeout,
                     "the canvas did not appear after joining")


async def open_sites(sites: list[Site], *, parallel: int, timeout: float,
                     column: str | None, spread: float = 0.0) -> list[Editing]:
    """Open every projector, then every participant's page (``parallel`` at a time, the rooms
    interleaved; with ``spread``, the k-th of N people arrives k/N of ``spread`` seconds after
    the first, as when a room is told to scan the code now); returns the pages that can write
    a card. A projector that does not open stops the run; a participant's page that does not
    is counted."""
    executor = ThreadPoolExecutor(max_workers=parallel + 2, thread_name_prefix="get")
    try:
        for site in sites:
            site.projector = PageClient(f"{site.name} projector")
            seconds = await site.projector.open(
                site.projector_url, executor=executor, timeout=timeout,
                ready=None if column is None else lambda p: p.with_class("wb-page"))
            log(f"{site.name}: projector open in {seconds:.1f}s ({len(site.projector.models)} models)")
        gate = asyncio.Semaphore(parallel)
        order = [(site, i) for i in range(max(len(s.participant_urls) for s in sites))
                 for site in sites if i < len(site.participant_urls)]
        editing: list[Editing] = []

        async def one(site: Site, i: int, arrives: float) -> None:
            page = PageClient(f"{site.name} participant {i + 1}")
            await asyncio.sleep(max(0.0, arrives - (time.perf_counter() - started)))
            async with gate:
                try:
                    await page.open(site.participant_urls[i], executor=executor, timeout=timeout,
                                    ready=page_ready(site, column))
                    if site.join_form is not None:
                        group, name = site.join_form[i]
                        await fill_join_form(page, group, name, timeout)
                    controls = card_controls(page, column)
                    if controls is None:
                        raise PageError(f"{page.name}: no new-card text and button on the page")
                except (PageError, OSError, TimeoutError) as failed:
                    site.failed.append(f"{page.name}: {failed}")
                    site.pages.append(page)  # closed with the others
                    return
            site.pages.append(page)
            editing.append(Editing(page, site, *controls))

        started = time.perf_counter()
        done = 0
        tasks = [asyncio.create_task(one(site, i, spread * k / len(order)))
                 for k, (site, i) in enumerate(order)]
        for finished in asyncio.as_completed(tasks):
            await finished
            done += 1
            if done % 20 == 0 or done == len(tasks):
                log(f"{done}/{len(tasks)} pages open ({time.perf_counter() - started:.0f}s)")
        for stage in ("html", "websocket"):
            took = sorted(p.stages[stage] for s in sites for p in s.pages if stage in p.stages)
            if took:
                log(f"pages: {stage} after {took[len(took) // 2]:.2f}s (median), "
                    f"{took[-1]:.2f}s (last)")
        for site in sites:
            for failure in site.failed[:5]:
                log(f"page failed: {failure}")
        return editing
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


async def write_cards(editing: list[Editing], *, edits: int, rate: float, timeout: float,
                      seed: int, verbose: bool = False) -> tuple[list[float], list[float], int]:
    """``edits`` cards at ``rate`` per second (one per 1/rate slot, at a random moment in it),
    each by a random page that is not writing one;
    returns the propagation times (ms), the writer's own page's times (ms) and the misses."""
    rng = random.Random(seed)
    busy: set[int] = set()
    projector_ms: list[float] = []
    own_ms: list[float] = []
    missed = 0
    run = uuid.uuid4().hex[:6]

    async def one(number: int, who: Editing) -> None:
        nonlocal missed
        token = f"bench{run}card{number:04d}"
        seen = who.site.projector.watch(token)
        own = who.page.watch(token)
        try:
            await who.page.set_value(who.text, f"{token} from {who.page.name}")
            clicked = time.perf_counter()
            await who.page.click(who.button)
            try:
                arrived = await asyncio.wait_for(seen, timeout)
                projector_ms.append((arrived - clicked) * 1000)
                if verbose:
                    log(f"card {number} at +{clicked - start:.1f}s by {who.page.name}: "
                        f"{projector_ms[-1]:.0f} ms")
            except (TimeoutError, PageError):
                missed += 1
            try:
                mine = await asyncio.wait_for(own, 1 if own.done() else timeout)
                own_ms.append((mine - clicked) * 1000)
            except (TimeoutError, PageError):
                pass
        finally:
            for future in (seen, own):
                if not future.done():
                    future.cancel()
            busy.discard(id(who))

    start = time.perf_counter()
    tasks = []
    for number in range(edits):
        # one card in each 1/rate slot, at a random moment of it: a fixed period could lock
        # onto the pages' poll period and time the same phase every time
        due = start + (number + rng.random()) / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        free = [e for e in editing if id(e) not in busy]
        if not free:
            missed += 1  # every page is still waiting for its previous card
            continue
        who = rng.choice(free)
        busy.add(id(who))
        tasks.append(asyncio.create_task(one(number, who)))
    if tasks:
        await asyncio.wait(tasks, timeout=timeout + 10)
    return projector_ms, own_ms, missed


def name_of(sites: list[Site]) -> str:
    return "plain voila" if sites[0].join_form is not None else "rooms"


async def close_sites(sites: list[Site]) -> None:
    pages = [p for s in sites for p in [s.projector, *s.pages] if p is not None]
    for start in range(0, len(pages), 50):
        await asyncio.gather(*(p.close() for p in pages[start:start + 50]))


@dataclass
class Measured:
    """What one setup (the rooms, or plain Voila) measured."""

    pages: int = 0
    failed: int = 0
    join_s: list[float] = field(default_factory=list)
    propagation_ms: list[float] = field(default_factory=list)
    own_ms: list[float] = field(default_factory=list)
    missed: int = 0
    kernel_kb: dict[str, int] = field(default_factory=dict)  # per site: every kernel
    kernel_count: dict[str, tuple[int, int]] = field(default_factory=dict)  # all, participants'
    participant_kernel_kb: list[int] = field(default_factory=list)
    participant_kernel_uss_kb: list[int] = field(default_factory=list)  # its own pages only
    participant_kernel_pss_kb: list[int] = field(default_factory=list)  # own + share of shared
    server_kb: dict[str, int] = field(default_factory=dict)
    store_server_kb: dict[str, int] = field(default_factory=dict)  # per site, 0: none
    notes: list[str] = field(default_factory=list)  # for the readable part


async def drive(sites: list[Site], servers: dict[str, int], args, *, column: str | None,
                measured: Measured) -> None:
    """Open the pages, write the cards, weigh the kernels, close the pages."""
    try:
        editing = await open_sites(sites, parallel=args.join_parallel, timeout=args.page_timeout,
                                   column=column, spread=args.spread)
        measured.pages = sum(len(s.participant_urls) for s in sites)
        measured.failed = sum(len(s.failed) for s in sites)
        measured.join_s = [p.join_seconds for s in sites for p in s.pages
                           if p.join_seconds is not None]
        if not editing:
            raise RuntimeError("no participant's page opened")
        # the rooms as the people will find them: pools refilled after the joins, CPU quiet
        # (in a thread: the pages keep reading their websockets meanwhile)
        count, waited = await asyncio.to_thread(
            functools.partial(wait_settled, lambda: list(servers.values()), None, 120.0,
                              "after the joins", min_free_mb=args.min_free_mb))
        measured.notes.append(f"{name_of(sites)}: settled {waited:.0f}s after the joins, "
                              f"{count} kernels")
        for site in sites:
            if site.projector.closed_reason:
                raise RuntimeError(f"{site.name}: projector: {site.projector.closed_reason}")
        log(f"{len(editing)} pages can write; {args.edits} cards at {args.rate}/s")
        (measured.propagation_ms, measured.own_ms,
         measured.missed) = await write_cards(editing, edits=args.edits, rate=args.rate,
                                              timeout=args.edit_timeout, seed=args.seed,
                                              verbose=args.verbose)
        log("propagation ms, sorted: " + " ".join(f"{v:.0f}" for v in sorted(measured.propagation_ms)))
        held = {p.kernel_id for s in sites for p in s.pages if p.kernel_id}
        for name, pid in servers.items():
            kernels = kernels_of(pid)
            measured.kernel_kb[name] = sum(kb for _, kb in kernels.values())
            measured.kernel_count[name] = (len(kernels),
                                           sum(kid in held for kid, _ in kernels.values()))
            measured.participant_kernel_kb += [kb for kid, kb in kernels.values() if kid in held]
            own = [own_kb(kpid) for kpid, (kid, _) in kernels.items() if kid in held]
            measured.participant_kernel_uss_kb += [uss for uss, _ in own]
            measured.participant_kernel_pss_kb += [pss for _, pss in own]
            measured.server_kb[name] = rss_kb(pid)
            measured.store_server_kb[name] = store_server_kb(pid)
        closed = [p.name for s in sites for p in s.pages if p.closed_reason and p.join_seconds]
        if closed:
            log(f"{len(closed)} open pages lost their websocket during the run, e.g. {closed[0]}")
    finally:
        await close_sites(sites)


# -- the rooms ----------------------------------------------------------------------------------
def migrate(db_url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "actionlab", "db", "upgrade", "--db", db_url],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"actionlab db upgrade failed:\n{done.stdout}\n{done.stderr}")


def pg_connections(db_url: str) -> int | str:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                     "WHERE backend_type = 'client backend'")).scalar_one() - 1
    except Exception as exc:  # only a note in the report
        return f"unknown ({exc.__class__.__name__})"
    finally:
        engine.dispose()


def make_workshops(db_url: str, rooms: int, groups: int, n: int) -> list[tuple[str, list[str]]]:
    """One workshop per room; participant k goes to room k mod R, group by turns. Returns
    (join code, personal tokens) per room."""
    from actionlab.services import Workbook
    from actionlab.settings import Settings

    made = []
    with Workbook.open(Settings(db_url=db_url)) as wb:
        for number in range(1, rooms + 1):
            workshop = wb.workshops.create(f"Benchmark room {number}", "en", groups)
            made.append((workshop.code, wb.workshops.groups(workshop), []))
        for k in range(n):
            code, group_list, tokens = made[k % rooms]
            group = group_list[(k // rooms) % len(group_list)]
            tokens.append(wb.workshops.join(code, group.id, f"Person {k + 1}").token)
    return [(code, tokens) for code, _groups, tokens in made]


def shipped_poll_interval() -> str:
    from dataclasses import fields

    from actionlab.settings import Settings

    return str(next(f.default for f in fields(Settings) if f.name == "poll_interval"))


def run_rooms(args, root: Path, failures: list) -> Measured:
    from tests.support.pg import PostgresServer
    from tests.support.server import VoilaServer

    per_room = math.ceil(args.n / args.rooms)
    measured = Measured()
    pg = PostgresServer(settings={"max_connections": str(3 * args.n + 50)})
    servers: list[VoilaServer] = []
    nginx = None
    kernel_pids: set[int] = set()
    failures.append(("postgres", pg.log_tail))
    try:
        pg.start()
        log(f"PostgreSQL on port {pg.port}, max_connections {3 * args.n + 50}")
        migrate(pg.url)
        workshops = make_workshops(pg.url, args.rooms, args.groups, args.n)
        log(f"{args.rooms} workshops, {args.n} members joined ahead")
        key = "bench-" + uuid.uuid4().hex
        env = {"ACTIONLAB_PREHEAT": str(per_room + 1), "ACTIONLAB_MAX_KERNELS": str(per_room + 10),
               "ACTIONLAB_POLL_INTERVAL": shipped_poll_interval(),
               **dict(item.split("=", 1) for item in args.env)}
        for number in range(1, args.rooms + 1):
            folder = root / f"room{number}"
            folder.mkdir()
            server = VoilaServer(folder, pg.url, key=key, base_url=f"/room{number}/",
                                 extra_env=env)
            servers.append(server)
            failures.append((f"room {number}", lambda s=server: s.log()[-4000:]))
        # room 1 first: it stores the shared key, which rooms starting at the same moment
        # would all try to insert (deploy/rooms.sh does the same)
        servers[0].start(timeout=args.start_timeout)
        with ThreadPoolExecutor(max_workers=len(servers)) as starting:
            for started in [starting.submit(s.start, timeout=args.start_timeout)
                            for s in servers[1:]]:
                started.result()
        log(f"{args.rooms} rooms answer")

        def pids() -> list[int]:
            return [s.proc.pid for s in servers if s.proc is not None]

        expected = args.rooms * (per_room + 1)
        count, waited = wait_settled(pids, expected, 120 + SECONDS_PER_KERNEL * expected,
                                     "rooms' kernel pools", min_free_mb=args.min_free_mb)
        log(f"kernel pools: {count} kernels (asked {expected}) after {waited:.0f}s")
        measured.notes.append(f"rooms: kernel pools up {waited:.0f}s after the rooms answered, "
                              f"{count} kernels (preheat asked {expected})")
        origin = None
        if args.nginx:
            from tests.support.nginx import NginxRooms

            nginx = NginxRooms({i + 1: s.port for i, s in enumerate(servers)},
                               worker_connections=4 * args.n + 256).start()
            failures.append(("nginx", nginx.log))
            origin = nginx.base
            log(f"nginx in front on port {nginx.port}")
        sites = []
        for server, (code, tokens) in zip(servers, workshops, strict=True):
            base = origin or server.base
            sites.append(Site(
                name=server.base_url.strip("/"),
                projector_url=page_url(base, server.base_url, "projector", key=key, code=code),
                participant_urls=[page_url(base, server.base_url, "participant", code=code,
                                           me=token) for token in tokens]))
        asyncio.run(guarded(
            drive(sites, {s.base_url.strip("/"): s.proc.pid for s in servers}, args,
                  column=args.column, measured=measured),
            timeout=args.run_timeout, min_free_mb=args.min_free_mb))
        measured.notes.append(f"PostgreSQL: {pg_connections(pg.url)} connections after the run "
                              f"(the kernels are still up), max_connections {3 * args.n + 50}")
        for s in servers:
            kernel_pids.update(kernels_of(s.proc.pid))
        return measured
    except BaseException:
        dump_logs(failures)  # before the servers' folders go
        raise
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            if server.proc is not None:
                kernel_pids.update(kernels_of(server.proc.pid))
        with ThreadPoolExecutor(max_workers=max(1, len(servers))) as stopping:
            list(stopping.map(lambda s: s.stop(), servers))
        end_leftovers(kernel_pids)
        pg.stop()


# -- plain Voila ---------------------------------------------------------------------------------
BASELINE_SCHEMA = """
CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE members (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, name TEXT NOT NULL);
CREATE TABLE cards (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, member_id INTEGER,
                    text TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX cards_group ON cards (group_id, id);
"""


def baseline_store(path: Path, groups: int) -> None:
    """The shared SQLite file the baseline notebooks read (the tables their queries name)."""
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(BASELINE_SCHEMA)
        con.executemany("INSERT INTO groups (name) VALUES (?)",
                        [(f"Group {i}",) for i in range(1, groups + 1)])


def run_baseline(args, root: Path, failures: list) -> Measured:
    from tests.support.server import VoilaServer, free_port, terminate

    m = min(args.n, args.baseline_n)
    measured = Measured()
    folder = root / "baseline"
    for sub in ("home", "jupyter/config", "jupyter/data", "jupyter/runtime", "ipython", "mpl"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    store = folder / "cards.db"
    baseline_store(store, args.groups)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTIONLAB_", "JUPYTER_"))}
    env.update(HOME=str(folder / "home"), JUPYTER_CONFIG_DIR=str(folder / "jupyter/config"),
               JUPYTER_DATA_DIR=str(folder / "jupyter/data"),
               JUPYTER_RUNTIME_DIR=str(folder / "jupyter/runtime"),
               IPYTHONDIR=str(folder / "ipython"), MPLCONFIGDIR=str(folder / "mpl"),
               PYTHONUNBUFFERED="1", BENCH_BASELINE_DB=str(store))
    port = free_port()
    log_path = folder / "voila.log"
    failures.append(("plain voila", lambda: log_path.read_text(errors="replace")[-4000:]))
    kernel_pids: set[int] = set()
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(BASELINE_DIR), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        origin = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{origin}/voila/static/voila.js", timeout=5):
                    return True
            except (urllib.error.URLError, ConnectionError, OSError):
                return False

        VoilaServer.wait_for(answers, args.start_timeout, "plain voila answers")
        log(f"plain voila on port {port}: {m} pages")
        site = Site(name="baseline",
                    projector_url=page_url(origin, "/", "projector"),
                    participant_urls=[page_url(origin, "/", "participant", code="BENCH")] * m,
                    join_form=[(i, f"Person {i + 1}") for i in range(m)])
        asyncio.run(guarded(
            drive([site], {"baseline": proc.pid}, args, column=None, measured=measured),
            timeout=args.run_timeout, min_free_mb=args.min_free_mb))
        kernel_pids.update(kernels_of(proc.pid))
        return measured
    except BaseException:
        dump_logs(failures)
        raise
    finally:
        kernel_pids.update(kernels_of(proc.pid))
        terminate(proc)
        end_leftovers(kernel_pids)


# -- report -----------------------------------------------------------------------------------
def metrics(args, rooms: Measured, base: Measured | None) -> list[dict]:
    def both(fn):
        return fn(rooms), (fn(base) if base is not None else None)

    def row(name, unit, fn, target=None, digits=1):
        value, baseline = both(fn)
        return {"metric": name, "value": rounded(value, digits), "unit": unit,
                "baseline": rounded(baseline, digits), "target": target}

    def mean_mb(m, kb=lambda m: m.participant_kernel_kb):
        values = kb(m)
        return sum(values) / len(values) / 1024 if values else None

    rows = [
        row("rooms_propagation_p50_ms", "ms", lambda m: percentile(m.propagation_ms, 50)),
        row("rooms_propagation_p95_ms", "ms", lambda m: percentile(m.propagation_ms, 95),
            TARGET_PROPAGATION_P95_MS),
        row("rooms_propagation_max_ms", "ms",
            lambda m: max(m.propagation_ms) if m.propagation_ms else None),
        row("rooms_own_page_p50_ms", "ms", lambda m: percentile(m.own_ms, 50)),
        row("rooms_cards_missed", "cards", lambda m: m.missed, 0, 0),
        row("rooms_join_p50_s", "s", lambda m: percentile(m.join_s, 50), None, 2),
        row("rooms_join_p95_s", "s", lambda m: percentile(m.join_s, 95), None, 2),
        row("rooms_pages_failed", "pages", lambda m: m.failed, 0, 0),
        row("rooms_kernel_mean_rss_mb", "MB", mean_mb, TARGET_KERNEL_MB),
        row("rooms_kernel_mean_uss_mb", "MB", lambda m: mean_mb(m, lambda m: m.participant_kernel_uss_kb)),
        row("rooms_kernel_mean_pss_mb", "MB", lambda m: mean_mb(m, lambda m: m.participant_kernel_pss_kb)),
    ]
    total = {"metric": "rooms_kernels_total_rss_mb",
             "value": rounded(sum(rooms.kernel_kb.values()) / 1024), "unit": "MB",
             "baseline": None, "target": None}  # plain Voila ran fewer pages: see the mean
    rows.append(total)
    # the processes that hold the store for the participants' pages, one per room
    rows.append({"metric": "rooms_store_servers_rss_mb",
                 "value": rounded(sum(rooms.store_server_kb.values()) / 1024), "unit": "MB",
                 "baseline": None, "target": None})
    for name, kb in rooms.kernel_kb.items():
        rows.append({"metric": f"rooms_{name}_kernels_rss_mb", "value": rounded(kb / 1024),
                     "unit": "MB", "baseline": None, "target": None})
    rows.append({"metric": "rooms_participants", "value": args.n, "unit": "participants",
                 "baseline": (base.pages if base is not None else None), "target": None})
    rows.append({"metric": "rooms_rooms", "value": args.rooms, "unit": "rooms",
                 "baseline": 1 if base is not None else None, "target": None})
    return rows


def table(args, rooms: Measured, base: Measured | None, rows: list[dict]) -> str:
    width = max(len(r["metric"]) for r in rows) + 2
    what = (f"{args.n} participants over {args.rooms} rooms (one Voila process each"
            f"{', behind nginx' if args.nginx else ''}) on one PostgreSQL; {args.edits} cards at "
            f"{args.rate}/s")
    lines = [what]
    if base is not None:
        lines.append(f"baseline: plain voila (default settings), ONE process with {base.pages} "
                     f"pages (min(n, {args.baseline_n})), bench/baseline notebooks, SQLite")
    lines.append(f"{'metric':<{width}}{'rooms':>10}{'plain':>10}{'ratio':>8}{'target':>9}")
    for r in rows:
        value, baseline = r["value"], r["baseline"]
        ratio = (f"{value / baseline:.2f}" if isinstance(value, (int, float)) and baseline
                 else "")
        lines.append(f"{r['metric']:<{width}}{_cell(value):>10}{_cell(baseline):>10}{ratio:>8}"
                     f"{_cell(r['target']):>9}")
    sides = [(name, rooms, name) for name in rooms.server_kb]
    if base is not None:
        sides += [("plain voila", base, name) for name in base.server_kb]
    for label, m, name in sides:
        every, participants = m.kernel_count[name]
        store = m.store_server_kb.get(name)
        store = f"store server {store / 1024:.0f} MB; " if store else ""
        lines.append(f"{label}: Voila process {m.server_kb[name] / 1024:.0f} MB; {store}{every} kernels "
                     f"{m.kernel_kb[name] / 1024:.0f} MB ({participants} participants' pages, the "
                     f"projector's, {every - participants - 1} more: preheated or closing)")
    lines += rooms.notes + (base.notes if base is not None else [])
    lines.append(machine())
    return "\n".join(lines)


def machine() -> str:
    import psutil

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GB, "
            f"load average {load} at the end")


def _cell(value) -> str:
    return "-" if value is None else str(value)


def dump_logs(failures: list) -> None:
    """The end of every log this run has, on stderr (a run that failed)."""
    for name, tail in failures:
        try:
            text = tail()
        except Exception as unreadable:  # a log that is gone with its folder
            text = f"(unreadable: {unreadable})"
        print(f"--- {name} log\n{text}", file=sys.stderr)
    failures.clear()


def run(args) -> int:
    root = Path(tempfile.mkdtemp(prefix="actionlab-bench-rooms-"))
    failures: list[tuple[str, object]] = []
    try:
        rooms = run_rooms(args, root, failures)
        base = None if args.no_baseline else run_baseline(args, root, failures)
    except BaseException as exc:
        log(f"benchmark failed: {exc!r}")
        if isinstance(exc, KeyboardInterrupt):
            return 130
        return 1
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    rows = metrics(args, rooms, base)
    print(table(args, rooms, base, rows))
    for r in rows:
        print(json.dumps(r))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="participants in all (default 200)")
    parser.add_argument("--rooms", type=int, default=5, help="rooms, one Voila each (default 5)")
    parser.add_argument("--groups", type=int, default=5, help="groups per workshop (default 5)")
    parser.add_argument("--edits", type=int, default=50, help="cards written (default 50)")
    parser.add_argument("--rate", type=float, default=2.0,
                        help="cards per second, all rooms together (default 2)")
    parser.add_argument("--column", default="symptoms",
                        help="column of the first canvas the cards go to (default symptoms)")
    parser.add_argument("--nginx", action="store_true",
                        help="every page through nginx with the shipped rooms configuration")
    parser.add_argument("--baseline-n", type=int, default=BASELINE_MAX,
                        help=f"most pages on plain Voila (default {BASELINE_MAX})")
    parser.add_argument("--no-baseline", action="store_true", help="skip plain Voila")
    parser.add_argument("--join-parallel", type=int, default=8,
                        help="pages opening at the same time (default 8)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds over which the people arrive, evenly (default 0: all at "
                             "once, --join-parallel at a time)")
    parser.add_argument("--page-timeout", type=float, default=180.0,
                        help="seconds a page may take to open (default 180)")
    parser.add_argument("--edit-timeout", type=float, default=30.0,
                        help="seconds until a card not on the projector counts as missed")
    parser.add_argument("--start-timeout", type=float, default=300.0,
                        help="seconds a server may take to answer (default 300)")
    parser.add_argument("--run-timeout", type=float, default=3600.0,
                        help="seconds the pages' part of one setup may take (default 3600)")
    parser.add_argument("--min-free-mb", type=float, default=1024.0,
                        help="stop the run when the machine has less memory left (default 1024)")
    parser.add_argument("--seed", type=int, default=1, help="who writes which card")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set this in every room's environment, e.g. ACTIONLAB_STORE_SERVER=0 "
                             "(kernels open the store themselves) to compare; repeatable")
    parser.add_argument("--verbose", action="store_true", help="log every card's time")
    args = parser.parse_args()
    if args.n < 1 or args.rooms < 1 or not 1 <= args.groups <= 5 or args.edits < 0:
        parser.error("--n and --rooms at least 1, --groups 1 to 5, --edits 0 or more")
    if args.nginx and args.rooms > 5:
        parser.error("the shipped nginx configuration has five rooms")
    if args.rate <= 0 or args.join_parallel < 1 or args.baseline_n < 1 or args.spread < 0:
        parser.error("--rate, --join-parallel and --baseline-n must be positive")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
