"""A simulated browser page for the benchmarks: what a browser does with a Voila page, minus
the rendering, so that hundreds of pages fit in one asyncio process.

:class:`PageClient` opens a page the way Voila's front end does:

1. ``GET`` the page (the notebook runs in its kernel meanwhile) and read ``kernelId`` and
   ``baseUrl`` from the ``#jupyter-config-data`` script of the HTML;
2. open the kernel's websocket (``<base>api/kernels/<id>/channels?session_id=…``);
3. ask for every widget model as the ipywidgets 8 front end does: a ``comm_open`` to the
   target ``jupyter.widget.control`` (metadata ``version`` 1.0.0), then a ``comm_msg``
   ``{"method": "request_states"}``; the kernel answers with ``update_states`` holding each
   model's state (``ipywidgets/widgets/widget.py``, ``Widget._handle_control_comm_msg``);
4. keep the models up to date from the kernel's ``comm_open`` (new widgets), ``comm_msg``
   ``update``/``echo_update`` and ``comm_close`` messages, for as long as the page is open.

A page is ready (:attr:`PageClient.join_seconds`) when ``ready`` holds of its models (say, the
canvas has its new-card box), checked again after every message from the kernel.

A person's actions are the messages a widget view sends: typing is an ``update`` of
``value`` (:meth:`PageClient.set_value`), a click a ``custom`` ``{"event": "click"}``
(:meth:`PageClient.click`). :meth:`PageClient.watch` resolves when a message from the kernel
carries a text, stamped when its frame arrived (what the benchmark times).

The websocket speaks the protocol the browser's ``@jupyterlab/services`` asks for, the
subprotocol ``v1.kernel.websocket.jupyter.org``: every frame is binary, an 8-byte little-endian
count of offsets, the offsets, then the channel name and the message's parts (header, parent
header, metadata, content as JSON, then any buffers). The server passes these parts between
the websocket and the kernel without decoding them, as it does for a real page; with the legacy
JSON frames it would decode and re-encode every message and the benchmark would load the
server more than browsers do. Buffers are not kept: no view is drawn.

Only the standard library and ``websockets`` (which comes with the workbook's environment).
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from datetime import UTC, datetime

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

CONFIG_RE = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                       re.S)
CONTROL_TARGET = "jupyter.widget.control"
CONTROL_VERSION = "1.0.0"
WIDGET_TARGET = "jupyter.widget"


class PageError(RuntimeError):
    """The page did not come up the way a browser would need it."""


def _get(url: str, timeout: float) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode("utf-8", errors="replace")


def page_config(html: str) -> dict:
    """The ``#jupyter-config-data`` of a Voila page."""
    found = CONFIG_RE.search(html)
    if found is None:
        raise PageError("no #jupyter-config-data in the page")
    return json.loads(found.group(1))


SUBPROTOCOL = "v1.kernel.websocket.jupyter.org"
PARTS = ("header", "parent_header", "metadata", "content")


def encode_frame(channel: str, parts: list[bytes]) -> bytes:
    """One v1 frame: the offset count, the offsets, the channel and the parts."""
    head = channel.encode("utf-8")
    offsets = [8 * (len(parts) + 3)]
    for chunk in (head, *parts):
        offsets.append(offsets[-1] + len(chunk))
    return b"".join([struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets), head, *parts])


def decode_frame(raw: bytes) -> tuple[str, list[bytes]]:
    """The channel and the parts (header, parent header, metadata, content, buffers…) of a
    v1 frame."""
    if isinstance(raw, str):
        raise PageError(f"a text frame where {SUBPROTOCOL} sends binary ones")
    count = struct.unpack_from("<Q", raw)[0]
    offsets = struct.unpack_from(f"<{count}Q", raw, 8)  # the last one is the frame's end
    chunks = [raw[start:end] for start, end in zip(offsets, offsets[1:], strict=False)]
    return chunks[0].decode("utf-8"), chunks[1:]


class PageClient:
    """One open page: its kernel's widget models, kept as the browser's widget manager would."""

    def __init__(self, name: str):
        self.name = name
        self.session = uuid.uuid4().hex
        self.kernel_id: str | None = None
        self.models: dict[str, dict] = {}
        self.join_seconds: float | None = None
        #: seconds from the GET until: the page's HTML arrived, the websocket opened
        self.stages: dict[str, float] = {}
        self.messages = 0
        self._control = uuid.uuid4().hex
        self._states = asyncio.Event()
        self._changed = asyncio.Event()
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._watches: dict[str, list[asyncio.Future]] = {}
        self.closed_reason: str | None = None

    # -- opening ----------------------------------------------------------------------------
    async def open(self, url: str, *, executor: Executor | None = None, timeout: float = 180.0,
                   ready: Callable[[PageClient], object] | None = None) -> float:
        """GET ``url``, connect to its kernel and load every widget model; returns the
        seconds from the GET until the models were known and ``ready`` (if given) held of
        them (the page's join time)."""
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        status, html = await asyncio.wait_for(
            loop.run_in_executor(executor, _get, url, timeout), timeout + 5)
        if status != 200:
            raise PageError(f"{self.name}: GET answered {status}: {html[:300]!r}")
        self.stages["html"] = time.perf_counter() - start
        config = page_config(html)
        self.kernel_id = config.get("kernelId")
        if not self.kernel_id:
            raise PageError(f"{self.name}: the page names no kernel")
        origin = re.match(r"^(https?://[^/]+)", url).group(1)
        ws_url = (origin.replace("http", "ws", 1) + config.get("baseUrl", "/")
                  + f"api/kernels/{self.kernel_id}/channels?session_id={self.session}")
        left = max(5.0, timeout - (time.perf_counter() - start))
        # no keepalive pings of our own: under load a late pong must not close the page
        self._ws = await connect(ws_url, open_timeout=left, max_size=None, ping_interval=None,
                                 close_timeout=5, subprotocols=[SUBPROTOCOL])
        if self._ws.subprotocol != SUBPROTOCOL:
            raise PageError(f"{self.name}: the server did not take {SUBPROTOCOL}")
        self.stages["websocket"] = time.perf_counter() - start
        self._reader = asyncio.create_task(self._read(), name=f"read {self.name}")
        await self._send("comm_open", {"comm_id": self._control, "target_name": CONTROL_TARGET,
                                       "data": {}}, metadata={"version": CONTROL_VERSION})
        await self._send("comm_msg", {"comm_id": self._control,
                                      "data": {"method": "request_states"}})
        left = max(5.0, timeout - (time.perf_counter() - start))
        waiting = asyncio.create_task(self._states.wait())
        done, _ = await asyncio.wait({waiting, self._reader}, timeout=left,
                                     return_when=asyncio.FIRST_COMPLETED)
        if waiting not in done:
            waiting.cancel()
            why = self.closed_reason or f"no update_states within {left:.0f}s"
            raise PageError(f"{self.name}: {why}")
        if ready is not None:
            await self.until(ready, max(5.0, timeout - (time.perf_counter() - start)),
                             "the page was not ready")
        self.join_seconds = time.perf_counter() - start
        return self.join_seconds

    async def until(self, condition: Callable[[PageClient], object], timeout: float,
                    what: str = "the condition did not hold") -> None:
        """Wait until ``condition(page)`` holds, checked again after every kernel message."""
        deadline = time.perf_counter() + timeout
        while not condition(self):
            if self.closed_reason:
                raise PageError(f"{self.name}: {what}: {self.closed_reason}")
            left = deadline - time.perf_counter()
            if left <= 0:
                raise PageError(f"{self.name}: {what} within {timeout:.0f}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    async def close(self) -> None:
        if self._ws is not None:
            try:
                await asyncio.wait_for(self._ws.close(), 10)
            except (TimeoutError, ConnectionClosed, OSError):
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        self._fail_watches("page closed")

    # -- the kernel's messages ----------------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                arrived = time.perf_counter()
                _, parts = decode_frame(raw)
                self.messages += 1
                if self._watches and len(parts) > 3:
                    content = parts[3]
                    for needle in [n for n in self._watches if n.encode() in content]:
                        for future in self._watches.pop(needle):
                            if not future.done():
                                future.set_result(arrived)
                self._handle(dict(zip(PARTS, map(json.loads, parts[:4]), strict=False)))
                self._changed.set()
            self.closed_reason = "the server closed the websocket"
        except ConnectionClosed as closed:
            self.closed_reason = f"websocket closed: {closed}"
        finally:
            self._changed.set()
            self._fail_watches(self.closed_reason or "reader stopped")

    def _handle(self, msg: dict) -> None:
        kind = (msg.get("header") or {}).get("msg_type")
        content = msg.get("content") or {}
        if kind == "comm_open" and content.get("target_name") == WIDGET_TARGET:
            self.models[content["comm_id"]] = dict((content.get("data") or {}).get("state") or {})
        elif kind == "comm_msg":
            data = content.get("data") or {}
            method = data.get("method")
            comm = content.get("comm_id")
            if comm == self._control and method == "update_states":
                for model_id, entry in (data.get("states") or {}).items():
                    self.models[model_id] = dict(entry.get("state") or {})
                self._states.set()
            elif method in ("update", "echo_update") and comm in self.models:
                self.models[comm].update(data.get("state") or {})
        elif kind == "comm_close":
            self.models.pop(content.get("comm_id"), None)

    def watch(self, needle: str) -> asyncio.Future:
        """A future set to the arrival time (``perf_counter``) of the first message from the
        kernel whose content's JSON holds ``needle`` (plain ASCII: JSON leaves it as it is)."""
        future = asyncio.get_running_loop().create_future()
        if self.closed_reason:
            future.set_exception(PageError(f"{self.name}: {self.closed_reason}"))
        else:
            self._watches.setdefault(needle, []).append(future)
        return future

    def _fail_watches(self, why: str) -> None:
        watches, self._watches = self._watches, {}
        for futures in watches.values():
            for future in futures:
                if not future.done():
                    future.set_exception(PageError(f"{self.name}: {why}"))

    # -- what a person does ---------------------------------------------------------------------
    async def set_value(self, model_id: str, value) -> None:
        """Typing into a Text/Textarea (the view's ``save_changes``)."""
        await self.set_state(model_id, value=value)

    async def set_state(self, model_id: str, **state) -> None:
        """A view changing its model (a selection widget syncs ``index``, not ``value``)."""
        await self._send("comm_msg", {"comm_id": model_id, "data": {
            "method": "update", "state": state, "buffer_paths": []}})
        self.models.get(model_id, {}).update(state)

    async def click(self, model_id: str) -> None:
        """A Button's click."""
        await self._send("comm_msg", {"comm_id": model_id, "data": {
            "method": "custom", "content": {"event": "click"}}})

    async def _send(self, msg_type: str, content: dict, *, metadata: dict | None = None) -> None:
        if self._ws is None:
            raise PageError(f"{self.name}: not connected")
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session,
                  "username": "", "date": datetime.now(UTC).isoformat(), "version": "5.3"}
        parts = [json.dumps(part).encode("utf-8") for part in (header, {}, metadata or {}, content)]
        await self._ws.send(encode_frame("shell", parts))

    # -- finding widgets --------------------------------------------------------------------------
    def with_class(self, cls: str) -> list[str]:
        """Ids of the models whose ``_dom_classes`` hold ``cls``."""
        return [mid for mid, state in self.models.items() if cls in (state.get("_dom_classes") or ())]

    def children(self, model_id: str) -> Iterable[str]:
        for child in self.models.get(model_id, {}).get("children") or ():
            yield str(child).removeprefix("IPY_MODEL_")

    def under(self, root: str, cls: str) -> str | None:
        """The first model with class ``cls`` among ``root``'s descendants (breadth first)."""
        todo, seen = list(self.children(root)), set()
        while todo:
            mid = todo.pop(0)
            if mid in seen:
                continue
            seen.add(mid)
            if cls in (self.models.get(mid, {}).get("_dom_classes") or ()):
                return mid
            todo += self.children(mid)
        return None
