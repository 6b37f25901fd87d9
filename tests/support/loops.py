"""Running a coroutine as a kernel would: in an event loop of its own.

A test run that has used Playwright's sync API still has an event loop running in the main
thread (the session's browser stays open), and ``asyncio.run`` refuses to start another one
there; a thread of its own has no loop yet.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine


def run_in_own_loop(scenario: Callable[[], Coroutine], timeout: float = 120.0):
    """``asyncio.run(scenario())`` in a new thread; returns its result or raises its error."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-event-loop", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"the scenario did not end within {timeout:.0f}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
