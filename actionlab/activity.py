"""Kernel activity for the room's server, read from each message's header alone.

Jupyter server watches every kernel's IOPub messages to keep the kernel's ``last_activity``
and ``execution_state`` (``MappingKernelManager.start_watching_activity``). It decodes the
header and the parent header of every message and parses their dates; a page that makes its
widgets sends a message per widget, and while a room joined that decoding was about a fifth of
the Voila process's work, on the one thread that also serves every page (docs/performance.md).

:func:`watch_activity` keeps the same two facts with less: the header's JSON without its
dates (the time recorded is the message's arrival, as there), a status message's content read
only for its ``execution_state``, and the message's signature checked as there.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timezone

from jupyter_client.session import Session


def read_message(session: Session, msg_list: list[bytes]) -> tuple[dict, dict, bytes] | None:
    """The header, the parent header and the raw content of one IOPub message as it comes
    off the socket; None when it is malformed or its signature is wrong."""
    try:
        _idents, parts = session.feed_identities(msg_list)
        signature, header, parent, metadata, content = parts[:5]
    except ValueError:
        return None
    if session.auth is not None and not hmac.compare_digest(
            signature, session.sign([header, parent, metadata, content])):
        return None
    try:
        return json.loads(header), json.loads(parent), content
    except ValueError:
        return None


def note_activity(manager, kernel, header: dict, parent: dict, content: bytes) -> None:
    """What jupyter server records of one message: the time of anything tracked (or of
    anything while the kernel is busy), and the state a status message reports."""
    msg_type = header.get("msg_type")
    parent_type = parent.get("msg_type") if parent else None
    if (manager.track_message_type(msg_type) or manager.track_message_type(parent_type)
            or kernel.execution_state == "busy"):
        manager.last_kernel_activity = kernel.last_activity = datetime.now(timezone.utc)
    if msg_type != "status":
        return
    try:
        state = json.loads(content).get("execution_state")
    except (ValueError, AttributeError):
        return
    if manager.track_message_type(parent_type):
        kernel.execution_state = state
    elif kernel.execution_state == "starting" and state != "starting":
        kernel.execution_state = "idle"  # after starting, idle unless a tracked reply says


def watch_activity(manager, kernel_id: str) -> None:
    """Subscribe to ``kernel_id``'s IOPub and keep its activity (the manager's
    ``start_watching_activity``; ``stop_watching_activity`` closes the same stream)."""
    kernel = manager._kernels[kernel_id]
    kernel.reason = ""
    kernel.last_activity = datetime.now(timezone.utc)
    kernel._activity_stream = kernel.connect_iopub()
    session = Session(config=kernel.session.config, key=kernel.session.key)

    def seen(msg_list: list[bytes]) -> None:
        read = read_message(session, msg_list)
        if read is None:
            manager.log.warning("an unreadable message on the IOPub of kernel %s", kernel_id)
            return
        note_activity(manager, kernel, *read)

    kernel._activity_stream.on_recv(seen)
