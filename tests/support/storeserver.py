"""A real store server (``python -m actionlab.storeserver``) on a test's database."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from actionlab import storeserver


@contextmanager
def running_store_server(db_url: str) -> Iterator[storeserver.Running]:
    """The server process for ``db_url`` (its schema already made), stopped afterwards."""
    server = storeserver.Running(sys.executable, {**os.environ, "ACTIONLAB_DB": db_url})
    try:
        yield server
    finally:
        server.close()
