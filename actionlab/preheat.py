"""A preheated page kernel waits here for its visitor.

``actionlab serve`` keeps participant kernels started ahead (Voila's preheated kernels, see
:mod:`actionlab.voila_room`): Voila runs the page's notebook in them before anyone asks, and the
notebook stops in :func:`wait_for_request` until a visitor's request claims the kernel. Voila
then sends that request's details (the query string with the join code or the personal link,
the path, the host) over the websocket ``<base>voila/query/<kernel id>``, and they become the
kernel's environment, as for a kernel started for the request.

This is what ``voila.utils.wait_for_request`` does, with the same variables and protocol;
importing ``voila.utils`` in a kernel, however, brings in Jupyter server and JupyterLab server
modules (about 40 MB per kernel, measured), so the page kernels use this small client instead.
Outside a preheated kernel (``VOILA_PREHEAT`` is not ``True``) it returns at once.
"""

from __future__ import annotations

import json
import logging
import os

log = logging.getLogger(__name__)


def preheated() -> bool:
    """Whether this kernel was started ahead of its request (and has not been claimed yet)."""
    return os.environ.get("VOILA_PREHEAT", "False") == "True"


def query_url(env: os._Environ | dict | None = None) -> str:
    """Where Voila hands a preheated kernel its request (the variables Voila sets)."""
    env = os.environ if env is None else env
    protocol = env.get("VOILA_WS_PROTOCOL", "ws")
    host = env.get("VOILA_APP_IP", "127.0.0.1")
    port = env.get("VOILA_APP_PORT", "8866")
    base = env.get("VOILA_WS_BASE_URL") or env.get("VOILA_SERVER_URL") or "/"
    if not base.endswith("/"):
        base += "/"
    return f"{protocol}://{host}:{port}{base}voila/query/{env.get('VOILA_KERNEL_ID', '')}"


def wait_for_request(url: str | None = None) -> bool:
    """Block until the request that claims this preheated kernel arrives, then put its details
    in ``os.environ``. Returns whether it waited for one (False: not preheated, or Voila could
    not be reached; the page then reads an empty query, as a bare visit would)."""
    if not preheated():
        return False
    from websockets.sync.client import connect

    try:
        # no timeout on the wait itself: a pool kernel may wait for hours for its visitor
        with connect(url or query_url(), open_timeout=10, max_size=None) as socket:
            message = socket.recv()
    except Exception as exc:  # the server went away before anyone came
        log.warning("preheated kernel got no request: %s", exc)
        return False
    details = json.loads(message)
    for name, value in details.items():
        os.environ[str(name)] = str(value)
    os.environ["VOILA_PREHEAT"] = "False"  # claimed: this kernel is a page like any other
    return True
