"""Benchmark of a live room: join burst, propagation to the projector and kernel memory, against plain Voila.

``python bench/bench_room.py --help`` lists the options; ``--n 40`` (the default) is the room
of the targets. It takes a few minutes and most of a 2-core machine.

Two servers are measured in the same run, one after the other, with the same browser:

* **actionlab**: a real ``actionlab serve`` (``tests.support.server.VoilaServer``: its own
  HOME, Jupyter folders and log) on a temporary SQLite store, or on ``--db URL`` (PostgreSQL:
  a new workshop each run). It is started with ``ACTIONLAB_PREHEAT`` = ``--preheat`` (default
  N + 2 participant kernels kept started; a server that does not know the variable ignores
  it) and the product's default poll interval. A workshop of 5 groups is created through the
  services (in a child process with the server's environment) before the server starts. The
  burst begins once the server's kernel pool is ready: its number of kernel processes has
  reached ``--preheat`` (or stopped changing for 10 s: a smaller pool, or none) and their CPU
  has settled (``--pool-timeout`` bounds the wait; the time is reported as ``pool_ready_s``).
* **baseline**: plain ``voila`` (the ``voila`` command next to this Python, default settings:
  no preheated kernels, Voila's default kernel manager and template, its own HOME and Jupyter
  folders) serving ``bench/baseline/``: a participant notebook written as a typical notebook
  app (it imports pandas and matplotlib, shows the same join form, then a canvas: an
  ipywidgets Text, a Button and the list of the group's cards, one query every 0.4 s) that
  writes cards to a shared SQLite file, and a projector notebook that reads that file with one
  query every 0.4 s in an asyncio task and shows every group's cards in an HTML widget.
  matplotlib's font list is made before the server starts (a warm machine), for both servers.

What is measured, for each server:

(a) **join burst**: the projector page is open; one person joins alone first (the idle
    server's time to interactive, ``alone_join_tti_s``, and the CPU seconds that one join
    cost the server, the browser and Playwright's driver, ``alone_server_cpu_s``,
    ``alone_browser_cpu_s`` and ``alone_driver_cpu_s``; from them
    ``join_burst_cpu_floor_s`` = N × their sum / the machine's cores, the least time the
    burst's work can take here however it is spread: above ``--spread`` the pages must queue
    for the cores). Before it, the browser's fixed cost: a new context showing a page of one
    text box and a button, served by nobody (``blank_page_browser_cpu_s``, and
    ``join_burst_blank_floor_s`` = N × it / the cores: what N devices cost this machine's
    cores before any server or page script does anything). Both are counted until the browser
    has gone quiet (under 0.02 CPU s in 0.2 s, at most 3 s), so work the browser does after the
    page is ready is counted too. The browser runs without the desktop address bar's popup
    page, which headless Chromium would start in a renderer of its own for every context
    (``tests/support/browser.py``; no phone has it). Then N Chromium pages (one browser, a context
    each: a device each, 420 × 900) open the join link ``participant.ipynb?code=CODE``,
    started uniformly over ``--spread`` seconds. On each page a script installed before the
    page loads (``add_init_script``: a MutationObserver and a 50 ms timer) notes on the page's
    own clock (``performance.now()``, from the navigation's start) when the join form accepts
    input (a group radio button and the name box visible and enabled), and when the canvas
    does (a new-card text box visible and enabled) after the Join button's click (noted by a
    capturing click listener). Meanwhile the person picks a group (page i: group i mod 5),
    types a name and presses Join; their time is not counted. Reported: p50 and p95 of the
    form's time to interactive (``join_form_*``), of join click → canvas (``join_canvas_*``)
    and of their sum per page (``join_tti_*``); also the end of the page's HTML
    (``join_html_*``: Voila streams it while the notebook runs, so it is when the server has
    done its part of the form) and the CPU seconds the server, the browser (Chromium's
    processes) and Playwright's driver (the benchmark's own tooling that plays the people:
    no room has it) used during the burst (``join_burst_*_cpu_s``): on one machine the
    browser's work on every page comes out of the same cores, which a real room's phones
    bring themselves. A line before the table
    breaks the load down (first byte, HTML, DOMContentLoaded, load, form). A page that does not
    get there within ``--page-timeout`` counts in ``join_failed_pages`` (with the step it was
    at and the page's console errors) and the exit code is 1.
(b) **propagation**: with the N pages still open (and the server's CPU settled after the
    burst, bounded), the first participant page adds ``--edits`` cards one by one (types the
    text into its canvas's new-card box, clicks Add; a random pause of 0.2–1 s between
    cards). The time is from the click (``Date.now()`` in the participant page) until a
    MutationObserver on the projector page sees the card's text in its DOM (``Date.now()``
    there: the same browser, the same clock). p50 and p95 in ms.
(c) **memory**: RSS of each participant kernel. The kernels are told apart by the kernel id
    each participant page carries in ``#jupyter-config-data`` (``kernelId``); a kernel
    process is matched to it by its connection file (``kernel-<id>.json``) on its command
    line, among the server's child processes (psutil). So preheated kernels still waiting in
    the pool, the projector's kernel and pool refills are not counted as participants.
    Reported: mean, max and sum over the participant kernels; the sum over every kernel of the
    server and their number (``kernel_processes``); the whole server (Voila and all its
    processes) as RSS and as PSS (shared pages counted once: closer to what the machine
    really spends).

Targets (2-core machine, N = 40): join p50 ≤ 1.0 s and p95 ≤ 2.0 s, propagation p95 ≤ 300 ms,
a participant kernel ≤ 60 MB RSS. They are reported, not asserted.

Everything the run writes (stores, logs, Jupyter folders, Voila's connection files) goes to a
temporary folder the benchmark owns and removes (``--keep`` keeps it, with the servers' logs).
Every wait is bounded; when a step fails the end of the server's log is printed. The output
ends with a table (with the ratio actionlab / baseline) and one JSON object per metric per
line::

    {"metric": "join_tti_p50_s", "value": 0.8, "unit": "s", "baseline": 3.1, "target": 1.0}

``--no-baseline`` (for development only) skips plain Voila: every baseline is null.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: tests.support is the repository's
    sys.path.insert(0, str(ROOT))

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, chromium_env  # noqa: E402
from tests.support.server import KERNEL_MODULES, VoilaServer, free_port, terminate  # noqa: E402

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"
PHONE = {"width": 420, "height": 900}
PROJECTOR = {"width": 1600, "height": 1000}
GROUPS = 5
KEY = "bench-room-facilitator-key"
TARGETS = {"join_tti_p50_s": 1.0, "join_tti_p95_s": 2.0, "propagation_p95_ms": 300.0,
           "participant_kernel_rss_mb": 60.0, "participant_kernel_rss_max_mb": 60.0}
SERVER_START_S = 120
EDIT_TIMEOUT_S = 30
SETTLE_TIMEOUT_S = 120
LOG_TAIL = 60


@dataclass(frozen=True)
class Selectors:
    """Where a target's pages accept input (CSS selectors)."""

    radio: str  # a group's radio button on the join form
    name: str  # the name box
    join: str  # the Join button
    canvas: str  # the canvas's new-card text box
    add: str  # its Add button
    projector_ready: str  # one per group on the projector
    card_box: str  # the box the edits are typed into


ACTIONLAB = Selectors(
    radio=".wb-join-group input[type=radio]", name=".wb-join-name input", join=".wb-join-submit",
    canvas=".wb-add-text textarea, .wb-add-text input",
    add=".wb-column-symptoms .wb-add-button", projector_ready=".wb-group-panel",
    card_box=".wb-column-symptoms .wb-add-text textarea")
BASELINE = Selectors(
    radio=".bl-join-group input[type=radio]", name=".bl-join-name input", join=".bl-join-submit",
    canvas=".bl-add-text input", add=".bl-add-button", projector_ready=".bl-group",
    card_box=".bl-add-text input")

#: Installed in every page before it loads (``%s``: the page's settings as JSON). It keeps its
#: notes in ``window.__bench``: the form and canvas times (ms since the navigation started),
#: the join click, the Add clicks (epoch ms) and, on the projector, when each card was seen.
PAGE_SCRIPT = """
(() => {
  const S = %s;
  const b = window.__bench = {form: null, joinClick: null, canvas: null, clicks: [], seen: {}};
  const ready = (q) => {
    for (const el of document.querySelectorAll(q)) {
      if (!el.disabled && !el.readOnly && el.getClientRects().length > 0
          && getComputedStyle(el).visibility !== "hidden") return true;
    }
    return false;
  };
  const check = () => {
    if (b.form === null && ready(S.radio) && ready(S.name)) b.form = performance.now();
    if (b.joinClick !== null && b.canvas === null && ready(S.canvas)) b.canvas = performance.now();
  };
  let queued = false;
  const soon = () => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; check(); }); }
  };
  const mark = S.mark ? new RegExp(S.mark, "g") : null;
  const scan = (node) => {
    const text = node.textContent || "";
    for (const m of text.matchAll(mark)) if (!(m[1] in b.seen)) b.seen[m[1]] = Date.now();
  };
  new MutationObserver((records) => {
    if (mark) {
      for (const r of records) {
        if (r.type === "characterData") scan(r.target); else r.addedNodes.forEach(scan);
      }
    } else if (b.canvas === null) soon();
  }).observe(document, {subtree: true, childList: true, characterData: true, attributes: !mark});
  if (!mark) {
    const timer = setInterval(() => { if (b.canvas !== null) clearInterval(timer); else check(); }, 50);
  }
  document.addEventListener("click", (e) => {
    const t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    if (b.joinClick === null && t.closest(S.join)) { b.joinClick = performance.now(); check(); }
    if (t.closest(S.add)) b.clicks.push(Date.now());
  }, true);
})();
"""
#: What a device costs the browser before any server or script: a text box and a button.
BLANK_PAGE = "<!doctype html><title>blank</title><input aria-label=name><button>Join</button>"
KERNEL_ID_JS = "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
#: Where the time to the form went (ms since the navigation started): the server's first byte,
#: the end of the HTML (Voila streams it while the notebook runs), DOMContentLoaded, load; the
#: files the page fetched (scripts, styles, fonts: how many, their size).
NAVIGATION_JS = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const files = performance.getEntriesByType("resource");
  return n ? {first_byte: n.responseStart, html: n.responseEnd,
              dom_ready: n.domContentLoadedEventEnd, load: n.loadEventEnd,
              files: files.length, bytes: files.reduce((a, f) => a + (f.encodedBodySize || 0), 0)} : {};
}"""


# -- the servers under test --------------------------------------------------------------------

def _runs(proc, module: str) -> bool:
    """Whether the process ``proc`` (psutil) runs ``python -m module``."""
    try:
        return module in " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001 - gone, or not ours to read
        return False


class ProcessTree:
    """A server process and everything it started: CPU use between two looks, kernels, memory."""

    def __init__(self, pid: int):
        import psutil

        self.psutil = psutil
        self.root = psutil.Process(pid)
        self._seen: dict[int, object] = {}

    def processes(self) -> list:
        try:
            found = [self.root, *self.root.children(recursive=True)]
        except self.psutil.NoSuchProcess:
            return []
        # keep the same Process objects, so cpu_percent() measures since the previous look
        self._seen = {p.pid: self._seen.get(p.pid, p) for p in found}
        return list(self._seen.values())

    def kernels(self) -> dict[int, str]:
        """Kernel processes: pid -> command line."""
        out = {}
        for proc in self.processes():
            try:
                cmdline = " ".join(proc.cmdline())
            except self.psutil.Error:
                continue
            if any(module in cmdline for module in KERNEL_MODULES):
                out[proc.pid] = cmdline
        return out

    def cpu_seconds(self, exclude: set[int] = frozenset()) -> dict[int, float]:
        """CPU time used so far (user + system), per process."""
        out = {}
        for proc in self.processes():
            if proc.pid in exclude:
                continue
            try:
                times = proc.cpu_times()
            except self.psutil.Error:
                continue
            out[proc.pid] = times.user + times.system
        return out

    def chromium(self, pids) -> set[int]:
        """Those of ``pids`` that are Chromium's processes (the browser and its helpers), not
        Playwright's driver."""
        found = set()
        for proc in self.processes():
            if proc.pid not in pids:
                continue
            try:
                if "chrom" in proc.name().lower() or "chrom" in " ".join(proc.cmdline()[:1]).lower():
                    found.add(proc.pid)
            except self.psutil.Error:
                continue
        return found

    def cpu_percent(self) -> float:
        """CPU used by the whole tree since the previous call (100 = one core)."""
        total = 0.0
        for proc in self.processes():
            try:
                total += proc.cpu_percent(None)
            except self.psutil.Error:
                continue
        return total

    def memory(self, participant_kernels: list[str]) -> dict:
        """RSS of the kernels serving ``participant_kernels`` (ids), of all kernels and of the
        whole tree; PSS of the whole tree."""
        kernels = self.kernels()
        rss, pss = {}, 0.0
        for proc in self.processes():
            try:
                info = proc.memory_full_info()
            except self.psutil.Error:
                continue
            rss[proc.pid] = info.rss / 2**20
            pss += getattr(info, "pss", info.rss) / 2**20
        store_server = sum(rss.get(proc.pid, 0.0) for proc in self.processes()
                           if _runs(proc, "actionlab.storeserver"))
        participants = []
        for kernel_id in participant_kernels:
            pid = next((pid for pid, cmd in kernels.items() if f"kernel-{kernel_id}.json" in cmd), None)
            if pid is not None and pid in rss:
                participants.append(rss[pid])
        return {"participants": participants,
                "kernels": sum(rss.get(pid, 0.0) for pid in kernels),
                "kernel_count": len(kernels), "server": sum(rss.values()), "server_pss": pss,
                "store_server": store_server or None,
                "unmatched": len(participant_kernels) - len(participants)}


class Room:
    """A server under test: its pages' addresses, its processes and its log."""

    label = ""
    selectors: Selectors

    def join_url(self) -> str:
        raise NotImplementedError

    def projector_url(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def pid(self) -> int:
        raise NotImplementedError

    def log(self) -> str:
        raise NotImplementedError


class ActionlabRoom(Room):
    label = "actionlab"
    selectors = ACTIONLAB

    def __init__(self, root: Path, db_url: str, preheat: int, env: dict[str, str] | None = None):
        self.server = VoilaServer(root, db_url, key=KEY, extra_env={
            "ACTIONLAB_PREHEAT": str(preheat),
            "ACTIONLAB_POLL_INTERVAL": "",  # empty: the product's default, not the tests' 0.25 s
            "TMPDIR": str(root / "tmp"),  # Voila keeps its connection files there
            **(env or {}),
        })
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self.code = ""

    def create_workshop(self) -> None:
        """A workshop of 5 groups, through the services, in a child process with the server's
        environment (nothing touches this user's HOME)."""
        done = subprocess.run([sys.executable, __file__, "--create", self.server.db_url],
                              env=self.server.env(), capture_output=True, text=True,
                              timeout=SERVER_START_S)
        if done.returncode != 0:
            raise RuntimeError(f"creating the workshop failed:\n{done.stderr[-3000:]}")
        self.code = json.loads(done.stdout.strip().splitlines()[-1])["code"]

    def start(self) -> None:
        warm_matplotlib(self.server.env())
        self.create_workshop()
        self.server.start(timeout=SERVER_START_S)

    def stop(self) -> None:
        self.server.stop()

    def pid(self) -> int:
        return self.server.proc.pid

    def log(self) -> str:
        return self.server.log()

    def join_url(self) -> str:
        return self.server.url("participant", code=self.code)

    def projector_url(self) -> str:
        return self.server.url("projector", key=KEY, code=self.code)


class PlainVoilaRoom(Room):
    """Plain ``voila`` with its default settings on ``bench/baseline/``, its state in SQLite."""

    label = "baseline"
    selectors = BASELINE

    def __init__(self, root: Path):
        self.root = root
        self.db = root / "baseline.db"
        self.port = free_port()
        self.log_path = root / "voila.log"
        self.proc: subprocess.Popen | None = None
        self.code = "BASE42"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTIONLAB_", "JUPYTER_"))}
        for sub in ("home", "jupyter/config", "jupyter/data", "jupyter/runtime", "ipython", "mpl", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        env.update(HOME=str(self.root / "home"), JUPYTER_CONFIG_DIR=str(self.root / "jupyter/config"),
                   JUPYTER_DATA_DIR=str(self.root / "jupyter/data"),
                   JUPYTER_RUNTIME_DIR=str(self.root / "jupyter/runtime"),
                   IPYTHONDIR=str(self.root / "ipython"), MPLCONFIGDIR=str(self.root / "mpl"),
                   TMPDIR=str(self.root / "tmp"),  # Voila keeps its connection files there
                   BENCH_BASELINE_DB=str(self.db), PYTHONUNBUFFERED="1")
        return env

    def create_store(self) -> None:
        con = sqlite3.connect(self.db)
        con.executescript(
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE members (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, name TEXT NOT NULL);"
            "CREATE TABLE cards (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, member_id INTEGER,"
            " text TEXT NOT NULL, created REAL NOT NULL);"
            "CREATE INDEX cards_group ON cards (group_id, id);")
        con.executemany("INSERT INTO groups (name) VALUES (?)", [(f"Group {i}",) for i in range(1, GROUPS + 1)])
        con.commit()
        con.close()

    def start(self) -> None:
        voila = Path(sys.executable).with_name("voila")
        if not voila.exists():
            voila = Path(shutil.which("voila") or "voila")
        self.create_store()
        env = self.env()
        warm_matplotlib(env)
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the file
            self.proc = subprocess.Popen([str(voila), str(BASELINE_DIR), "--no-browser",
                                          f"--port={self.port}"],
                                         env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/voila/static/voila.js", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"voila did not answer in {SERVER_START_S}s:\n{self.log()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc:
            terminate(self.proc)
        self.proc = None

    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def join_url(self) -> str:
        return f"{self.base}/voila/render/participant.ipynb?code={self.code}"

    def projector_url(self) -> str:
        return f"{self.base}/voila/render/projector.ipynb?code={self.code}"


def warm_matplotlib(env: dict[str, str]) -> None:
    """matplotlib lists the system fonts once per machine: not part of any page."""
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True,
                   timeout=SERVER_START_S, capture_output=True)


def settle(tree: ProcessTree, *, want: int, idle_pct: float, timeout: float) -> tuple[int, float, bool]:
    """Wait until the server has ``want`` kernel processes (or their number has not changed
    for 10 s) and its CPU use stayed under ``idle_pct`` for 3 s. Returns the number of
    kernels, the seconds waited and whether it settled within ``timeout``."""
    start = time.monotonic()
    count, changed, calm = -1, start, 0
    tree.cpu_percent()
    while True:
        time.sleep(1)
        now = time.monotonic()
        kernels = len(tree.kernels())
        if kernels != count:
            count, changed = kernels, now
        calm = calm + 1 if tree.cpu_percent() < idle_pct else 0
        if calm >= 3 and (count >= want or now - changed >= 10):
            return count, now - start, True
        if now - start > timeout:
            return count, now - start, False


# -- the browser side --------------------------------------------------------------------------

@dataclass
class Joined:
    page: object = None
    form_s: float | None = None
    canvas_s: float | None = None
    kernel_id: str | None = None
    navigation: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class Result:
    pool: int | None = None
    pool_s: float | None = None
    joined: list[Joined] = field(default_factory=list)
    propagation_ms: list[float] = field(default_factory=list)
    memory: dict | None = None
    burst_s: float | None = None
    # CPU seconds of the server, of the browser (Chromium), of the benchmark's driver
    # (Playwright's, which plays the people: no room has it)
    burst_cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)
    alone: Joined | None = None  # one person joining an idle server, before the burst
    alone_cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # what that one join cost, as above
    blank_cpu: float | None = None  # the browser's CPU for a new context with a trivial page
    slow_phone: Joined | None = None  # one person alone, the page's CPU slowed as a phone's
    error: str | None = None

    @property
    def good(self) -> list[Joined]:
        return [j for j in self.joined if j.error is None]


def page_script(sel: Selectors, mark: str | None = None) -> str:
    settings = {"radio": sel.radio, "name": sel.name, "join": sel.join, "canvas": sel.canvas,
                "add": sel.add, "mark": mark}
    return PAGE_SCRIPT % json.dumps(settings)


async def open_page(browser, url: str, script: str, viewport: dict, timeout_s: float,
                    problems: list[str] | None = None, slowdown: float = 1.0):
    """A page in a context of its own; its console errors and uncaught exceptions go to
    ``problems`` (told when the page does not make it). ``slowdown`` > 1 runs the page's
    main thread that many times slower (Chromium's CPU throttling, as a phone)."""
    context = await browser.new_context(viewport=viewport)
    context.set_default_timeout(timeout_s * 1000)
    await context.add_init_script(script=script)
    page = await context.new_page()
    if slowdown > 1:
        cdp = await context.new_cdp_session(page)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    if problems is not None:
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    return page


async def join_one(browser, room: Room, i: int, delay: float, timeout_s: float,
                   slowdown: float = 1.0) -> Joined:
    """One person: open the join link after ``delay`` s, wait for the form, join, wait for
    the canvas (on a CPU ``slowdown`` times slower)."""
    await asyncio.sleep(delay)
    sel = room.selectors
    out = Joined()
    step = "opening the join link"
    problems: list[str] = []
    try:
        out.page = page = await open_page(browser, room.join_url(), page_script(sel), PHONE, timeout_s,
                                          problems, slowdown)
        ms = timeout_s * 1000
        step = "waiting for the join form"
        await page.wait_for_function("() => window.__bench.form !== null", polling=100, timeout=ms)
        step = "joining"
        await page.locator(sel.radio).nth(i % GROUPS).check()
        await page.locator(sel.name).fill(f"Person {i + 1}")
        await page.locator(sel.join).click()
        step = "waiting for the canvas"
        await page.wait_for_function("() => window.__bench.canvas !== null", polling=100, timeout=ms)
        marks = await page.evaluate("() => window.__bench")
        out.form_s = marks["form"] / 1000
        out.canvas_s = (marks["canvas"] - marks["joinClick"]) / 1000
        out.kernel_id = await page.evaluate(KERNEL_ID_JS)
        out.navigation = await page.evaluate(NAVIGATION_JS)
    except Exception as exc:  # a page that does not make it is counted, the others go on
        first = str(exc).splitlines()[0] if str(exc) else ""
        said = "".join(f"\n    page said: {text[:300]}" for text in problems[:3])
        out.error = f"page {i + 1}, {step}: {type(exc).__name__}: {first}{said}"
    return out


async def propagate(editor, projector, sel: Selectors, edits: int, token: str, rng: random.Random) -> list[float]:
    """``edits`` cards added on ``editor``; ms from each click until the projector shows it."""
    box = editor.locator(sel.card_box).first
    add = editor.locator(sel.add).first
    ms = EDIT_TIMEOUT_S * 1000
    for i in range(edits):
        await box.fill(f"card {i + 1} bq{i}x{token}")
        await add.click()
        await projector.wait_for_function("(k) => window.__bench.seen[k] !== undefined", arg=str(i),
                                          polling=100, timeout=ms)
        # the page has taken the card (its box is emptied) before the next one
        await editor.wait_for_function("(q) => document.querySelector(q).value === ''",
                                       arg=sel.card_box, polling=100, timeout=ms)
        await editor.wait_for_timeout(rng.uniform(200, 1000))
    clicks = await editor.evaluate("() => window.__bench.clicks")
    seen = await projector.evaluate("() => window.__bench.seen")
    if len(clicks) != edits:
        raise RuntimeError(f"{len(clicks)} Add clicks noted for {edits} cards")
    return [seen[str(i)] - clicks[i] for i in range(edits)]


async def browser_quiet(cpu, window: float = 0.2, still: float = 0.02, limit: float = 3.0) -> None:
    """Until the browser has used under ``still`` CPU seconds in ``window`` s (at most ``limit``
    s): work it does after a page is ready is counted with that page."""
    ends = time.monotonic() + limit
    while time.monotonic() < ends:
        then = sum(cpu()[1].values())
        await asyncio.sleep(window)
        if sum(cpu()[1].values()) - then < still:
            return


async def measure_room(browser, room: Room, args, rng: random.Random, result: Result) -> None:
    sel = room.selectors
    tree = ProcessTree(room.pid())
    if isinstance(room, ActionlabRoom):
        print(f"  waiting for the kernel pool ({args.preheat} asked) …", flush=True)
        count, waited, ok = await asyncio.to_thread(settle, tree, want=args.preheat, idle_pct=20,
                                                    timeout=args.pool_timeout)
        result.pool, result.pool_s = count, waited
        note = "" if ok else f" (not settled within {args.pool_timeout:.0f} s: going on)"
        print(f"  {count} kernel processes after {waited:.0f} s{note}", flush=True)
    token = "".join(rng.choice(string.ascii_lowercase) for _ in range(8))
    projector = await open_page(browser, room.projector_url(), page_script(sel, rf"bq(\d+)x{token}"),
                                PROJECTOR, args.page_timeout)
    await projector.wait_for_function("([q, n]) => document.querySelectorAll(q).length >= n",
                                      arg=[sel.projector_ready, GROUPS], polling=100,
                                      timeout=args.page_timeout * 1000)
    here = ProcessTree(os.getpid())  # this benchmark: Playwright's driver and Chromium

    def cpu() -> tuple[dict, dict, dict]:
        server = tree.cpu_seconds()
        ours = here.cpu_seconds(exclude={os.getpid(), *server})
        chromium = here.chromium(ours)
        return server, {pid: t for pid, t in ours.items() if pid in chromium}, \
            {pid: t for pid, t in ours.items() if pid not in chromium}

    def spent(before: tuple[dict, ...], after: tuple[dict, ...]) -> tuple[float, ...]:
        return tuple(sum(t - then.get(pid, 0.0) for pid, t in now.items())
                     for then, now in zip(before, after, strict=True))

    # The browser's own cost of one more device: a new context, a page of a text box and a
    # button (no server, no script), typed into; measured with the context still open.
    before = cpu()
    blank = await browser.new_context(viewport=PHONE)
    page = await blank.new_page()
    await page.set_content(BLANK_PAGE)
    await page.locator("input").fill("ready")
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    await browser_quiet(cpu)
    result.blank_cpu = spent(before, cpu())[1]
    await blank.close()
    # One person first, on the idle server: what a single join costs each side, the floor of
    # any burst on these cores (the page is closed again and not counted among the N).
    before = cpu()
    result.alone = alone = await join_one(browser, room, args.n, 0, args.page_timeout)
    await browser_quiet(cpu)
    result.alone_cpu = spent(before, cpu())
    if alone.page is not None:
        await alone.page.context.close()
    if alone.error:
        raise RuntimeError(f"one page alone did not join: {alone.error}")
    print(f"  one page alone: join {alone.form_s + alone.canvas_s:.2f} s (form {alone.form_s:.2f} s, "
          f"Join -> canvas {alone.canvas_s:.2f} s); CPU: server {result.alone_cpu[0]:.2f} s, "
          f"browser {result.alone_cpu[1]:.2f} s (a trivial page in a new context: "
          f"{result.blank_cpu:.2f} s), Playwright's driver {result.alone_cpu[2]:.2f} s", flush=True)
    if args.phone_slowdown > 1:
        # the same on a phone's slower CPU: what the page itself asks of a low-end device
        slow = await join_one(browser, room, args.n + 1, 0, args.page_timeout, args.phone_slowdown)
        if slow.page is not None:
            await slow.page.context.close()
        if slow.error:
            raise RuntimeError(f"one page alone on a slower CPU did not join: {slow.error}")
        result.slow_phone = slow
        print(f"  one page alone, CPU {args.phone_slowdown:g} x slower: join "
              f"{slow.form_s + slow.canvas_s:.2f} s (form {slow.form_s:.2f} s, Join -> canvas "
              f"{slow.canvas_s:.2f} s)", flush=True)
    print(f"  projector open; {args.n} pages join over {args.spread:g} s …", flush=True)
    step = args.spread / args.n
    tasks = [join_one(browser, room, i, i * step, args.page_timeout) for i in range(args.n)]
    before, started = cpu(), time.monotonic()
    result.joined = await asyncio.wait_for(asyncio.gather(*tasks),
                                           timeout=args.spread + 2 * args.page_timeout + 60)
    after, result.burst_s = cpu(), time.monotonic() - started
    result.burst_cpu = spent(before, after)
    good = result.good
    for j in result.joined:
        if j.error:
            print(f"  {j.error}", flush=True)
    print(f"  {len(good)} of {args.n} pages joined", flush=True)
    if good:
        steps = [f"{name.replace('_', ' ')} {percentile(values, 50) / 1000:.2f} s"
                 for name in ("first_byte", "html", "dom_ready", "load")
                 if (values := [j.navigation[name] for j in good if j.navigation.get(name)])]
        files = percentile([j.navigation.get("files", 0) for j in good], 50)
        size = percentile([j.navigation.get("bytes", 0) for j in good], 50) / 2**20
        print(f"  p50 of the page load: {', '.join(steps)}; form "
              f"{percentile([j.form_s for j in good], 50):.2f} s; {files} files, {size:.1f} MB",
              flush=True)
    server_cpu, browser_cpu, driver_cpu = result.burst_cpu
    print(f"  CPU during the burst ({result.burst_s:.0f} s, {os.cpu_count()} cores): server "
          f"{server_cpu:.0f} s, browser {browser_cpu:.0f} s, Playwright's driver {driver_cpu:.0f} s",
          flush=True)
    if not good:
        raise RuntimeError("no page joined")
    count, waited, ok = await asyncio.to_thread(settle, tree, want=0, idle_pct=20 + 2.5 * args.n,
                                                timeout=SETTLE_TIMEOUT_S)
    print(f"  after the burst: {count} kernel processes, CPU "
          f"{'settled' if ok else 'still busy'} after {waited:.0f} s; {args.edits} cards …", flush=True)
    result.propagation_ms = await propagate(good[0].page, projector, sel, args.edits, token, rng)
    result.memory = tree.memory([j.kernel_id for j in good if j.kernel_id])
    if result.memory["unmatched"]:
        print(f"  note: {result.memory['unmatched']} participant kernels not found among the "
              "server's processes", flush=True)


async def run_rooms(rooms: list[tuple[Room, Result]], args) -> None:
    from playwright.async_api import async_playwright

    rng = random.Random(args.seed)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                          env=chromium_env())
        try:
            for room, result in rooms:
                print(f"{room.label}: starting the server …", flush=True)
                try:
                    await asyncio.to_thread(room.start)
                    await measure_room(browser, room, args, rng, result)
                except Exception as exc:
                    result.error = f"{type(exc).__name__}: {exc}"
                    tail = "\n".join(room.log().splitlines()[-LOG_TAIL:])
                    print(f"{room.label} failed: {result.error}\n-- end of the server's log --\n{tail}",
                          file=sys.stderr, flush=True)
                finally:
                    for context in list(browser.contexts):
                        await context.close()
                    await asyncio.to_thread(room.stop)
        finally:
            await browser.close()


# -- the report --------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def figures(result: Result) -> dict[str, tuple[float | None, str]]:
    """metric -> (value, unit) for one room."""
    good = result.good
    form = [j.form_s for j in good]
    canvas = [j.canvas_s for j in good]
    join = [j.form_s + j.canvas_s for j in good]
    html = [j.navigation["html"] / 1000 for j in good if j.navigation.get("html")]
    mem = result.memory or {}
    parts = mem.get("participants") or []
    out: dict[str, tuple[float | None, str]] = {}
    for name, values in (("join_html", html), ("join_form_tti", form), ("join_canvas", canvas),
                         ("join_tti", join)):
        for p in (50, 95):
            value = percentile(values, p)
            out[f"{name}_p{p}_s"] = (None if value is None else round(value, 3), "s")
    out["join_failed_pages"] = (len(result.joined) - len(good) if result.joined else None, "pages")
    if result.burst_s is not None:  # where the 2 cores went during the burst
        out["join_burst_server_cpu_s"] = (round(result.burst_cpu[0], 1), "s")
        out["join_burst_browser_cpu_s"] = (round(result.burst_cpu[1], 1), "s")
        out["join_burst_driver_cpu_s"] = (round(result.burst_cpu[2], 1), "s")
    alone = result.alone
    if alone is not None and alone.error is None:
        server, browser, driver = result.alone_cpu
        out["alone_join_tti_s"] = (round(alone.form_s + alone.canvas_s, 3), "s")
        out["alone_server_cpu_s"] = (round(server, 2), "s")
        out["alone_browser_cpu_s"] = (round(browser, 2), "s")
        out["alone_driver_cpu_s"] = (round(driver, 2), "s")
        # the least time N such joins take on this machine's cores, however they are spread
        if result.joined:
            cores = os.cpu_count() or 1
            out["join_burst_cpu_floor_s"] = (
                round(len(result.joined) * (server + browser + driver) / cores, 1), "s")
    if result.slow_phone is not None:
        slow = result.slow_phone
        out["alone_slow_phone_join_tti_s"] = (round(slow.form_s + slow.canvas_s, 3), "s")
        out["alone_slow_phone_form_tti_s"] = (round(slow.form_s, 3), "s")
    if result.blank_cpu is not None:
        out["blank_page_browser_cpu_s"] = (round(result.blank_cpu, 2), "s")
        if result.joined:
            out["join_burst_blank_floor_s"] = (
                round(len(result.joined) * result.blank_cpu / (os.cpu_count() or 1), 1), "s")
    for p in (50, 95):
        value = percentile(result.propagation_ms, p)
        out[f"propagation_p{p}_ms"] = (None if value is None else round(value, 1), "ms")

    def mb(value):
        return None if value is None else round(value, 1)

    out["participant_kernel_rss_mb"] = (mb(sum(parts) / len(parts)) if parts else None, "MB")
    out["participant_kernel_rss_max_mb"] = (mb(max(parts)) if parts else None, "MB")
    out["participant_kernels_rss_total_mb"] = (mb(sum(parts)) if parts else None, "MB")
    out["kernels_total_rss_mb"] = (mb(mem.get("kernels")), "MB")
    out["kernel_processes"] = (mem.get("kernel_count"), "processes")
    # the process that holds the store for the participants' kernels (counted in the total)
    out["store_server_rss_mb"] = (mb(mem.get("store_server")), "MB")
    out["server_rss_total_mb"] = (mb(mem.get("server")), "MB")
    out["server_pss_total_mb"] = (mb(mem.get("server_pss")), "MB")
    return out


def report(ours: Result, baseline: Result | None) -> list[str]:
    mine = figures(ours)
    theirs = figures(baseline) if baseline is not None else {}
    lines = []
    print(f"\n{'metric':34s} {'actionlab':>10s} {'baseline':>10s} {'ratio':>7s} {'target':>7s}")

    def show(value):
        return "-" if value is None else f"{value:g}"

    extra = {"pool_ready_s": (None if ours.pool_s is None else round(ours.pool_s, 1), "s")}
    for name, (value, unit) in {**mine, **extra}.items():
        other = theirs.get(name, (None, unit))[0]
        target = TARGETS.get(name)
        ratio = f"{value / other:.2f}" if value is not None and other else "-"
        miss = "  over target" if target is not None and value is not None and value > target else ""
        print(f"{name:34s} {show(value):>10s} {show(other):>10s} {ratio:>7s} {show(target):>7s}{miss}")
        lines.append(json.dumps({"metric": name, "value": value, "unit": unit, "baseline": other,
                                 "target": target}))
    print("ratio: actionlab / baseline (plain Voila, default settings, bench/baseline/). "
          "join_form_tti: navigation until the join form accepts input; join_canvas: Join click "
          "until the canvas does; join_tti: their sum. Memory after the propagation step.")
    return lines


# -- the child process that creates the workshop -----------------------------------------------

def create(db_url: str) -> dict:
    from actionlab.services import Workbook
    from actionlab.settings import Settings

    wb = Workbook.open(Settings.from_env(db_url=db_url), upgrade=True)
    try:
        ws = wb.workshops.create("Bench room", "en", GROUPS)
        return {"code": ws.code}
    finally:
        wb.close()


def run(args) -> int:
    root = Path(tempfile.mkdtemp(prefix="actionlab-bench-room-"))
    try:
        (root / "actionlab").mkdir()
        (root / "baseline").mkdir()
        db = args.db or f"sqlite:///{root / 'actionlab' / 'room.db'}"
        print(f"bench_room {time.strftime('%Y-%m-%d %H:%M')}: {platform.node()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}; N={args.n} over {args.spread:g} s, "
              f"{args.edits} edits, preheat {args.preheat}, store {'--db' if args.db else 'SQLite'}",
              flush=True)
        ours = Result()
        env = dict(item.split("=", 1) for item in args.env)
        rooms: list[tuple[Room, Result]] = [(ActionlabRoom(root / "actionlab", db, args.preheat, env),
                                             ours)]
        baseline = None if args.no_baseline else Result()
        if baseline is not None:
            rooms.append((PlainVoilaRoom(root / "baseline"), baseline))
        asyncio.run(run_rooms(rooms, args))
        lines = report(ours, baseline)
        print("\n".join(lines))
        failed = any(r.error or len(r.good) < args.n for _room, r in rooms)
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="participants (default 40)")
    parser.add_argument("--spread", type=float, default=10.0,
                        help="seconds over which the participants open the join link (default 10)")
    parser.add_argument("--edits", type=int, default=20, help="cards added for the propagation (default 20)")
    parser.add_argument("--db", metavar="URL",
                        help="SQLAlchemy URL of actionlab's store, e.g. PostgreSQL (default: a temporary SQLite file)")
    parser.add_argument("--preheat", type=int,
                        help="participant kernels actionlab keeps ready (ACTIONLAB_PREHEAT; default N + 2)")
    parser.add_argument("--page-timeout", type=float, default=180.0,
                        help="seconds a page may take for each step (default 180)")
    parser.add_argument("--pool-timeout", type=float,
                        help="seconds to wait for the kernel pool before the burst (default 120 + 5 per kernel)")
    parser.add_argument("--phone-slowdown", type=float, default=4.0, metavar="X",
                        help="one more page joins alone with its CPU X times slower, as on a "
                             "low-end phone (Chromium's CPU throttling; default 4, 1 to skip)")
    parser.add_argument("--seed", type=int, default=8, help="seed of the pauses between edits")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip plain Voila (development only: the baselines are null)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (servers' logs)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set this in actionlab's server environment, e.g. "
                             "ACTIONLAB_STORE_SERVER=0 (kernels open the store themselves) to "
                             "compare; repeatable")
    parser.add_argument("--create", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.create:
        print(json.dumps(create(args.create)))
        return 0
    if args.n < 1 or args.edits < 1 or args.spread < 0:
        parser.error("--n and --edits must be at least 1, --spread not negative")
    if args.preheat is None:
        args.preheat = args.n + 2
    if args.pool_timeout is None:
        args.pool_timeout = 120.0 + 5 * args.preheat
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium not found at {CHROMIUM}")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
