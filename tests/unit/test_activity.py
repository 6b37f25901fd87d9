"""The room's server keeps each kernel's activity as jupyter server does, from the headers
alone: the same message stream gives the same ``execution_state`` and the same moments of
activity under both watchers."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from jupyter_client.session import Session
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

from actionlab.activity import read_message, watch_activity

UNTRACKED = MappingKernelManager.class_traits()["untracked_message_types"].default()


class Stream:
    def on_recv(self, callback):
        self.callback = callback


class Manager:
    """What both watchers use of a kernel manager, around one kernel."""

    log = logging.getLogger("test-activity")

    def __init__(self, key: bytes):
        self.last_kernel_activity = None
        self.stream = Stream()
        self.kernel = SimpleNamespace(session=Session(key=key), execution_state="starting",
                                      connect_iopub=lambda: self.stream)
        self._kernels = {"k": self.kernel}

    def track_message_type(self, message_type):
        return message_type not in UNTRACKED


def wire(session: Session, msg_type: str, content: dict, parent: dict | None = None) -> list:
    msg = session.msg(msg_type, content=content, parent=parent or {})
    return [b"kernel.k.iopub", *session.serialize(msg)]


def replay(watch, key: bytes, messages) -> list[tuple[str, bool]]:
    """(execution_state, whether the activity time moved) after each message."""
    manager = Manager(key)
    watch(manager, "k")
    seen = []
    for msg_list in messages:
        before = manager.kernel.last_activity
        manager.stream.callback(list(msg_list))
        seen.append((manager.kernel.execution_state, manager.kernel.last_activity != before))
    return seen


def stream_of(key: bytes) -> list[list]:
    kernel = Session(key=key)
    execute = kernel.msg("execute_request", content={"code": "1"})
    info = kernel.msg("kernel_info_request", content={})
    return [
        wire(kernel, "status", {"execution_state": "idle"}, info),
        wire(kernel, "status", {"execution_state": "busy"}, execute),
        wire(kernel, "comm_open", {"comm_id": "c", "target_name": "jupyter.widget", "data": {}},
             execute),
        wire(kernel, "stream", {"name": "stdout", "text": "讨论"}, execute),
        wire(kernel, "status", {"execution_state": "idle"}, execute),
        wire(kernel, "comm_msg", {"comm_id": "c", "data": {"method": "update"}}),
        wire(kernel, "display_data", {"data": {}, "metadata": {}}),
        wire(kernel, "status", {"execution_state": "busy"}, info),
        wire(kernel, "status", {"execution_state": "idle"}, info),
    ]


@pytest.mark.parametrize("key", [b"a-secret", b""])
def test_the_same_states_and_moments_as_jupyter_servers_watcher(key):
    messages = stream_of(key)
    ours = replay(watch_activity, key, messages)
    theirs = replay(MappingKernelManager.start_watching_activity, key, messages)
    assert ours == theirs
    assert [state for state, _moved in ours] == ["idle", "busy", "busy", "busy", "idle", "idle",
                                                "idle", "idle", "idle"]
    # a message with no parent counts (its parent's type, None, is not an untracked one)
    assert [moved for _state, moved in ours] == [False, True, True, True, True, True, True,
                                                False, False]


def test_a_message_signed_with_another_key_is_not_read():
    forged = wire(Session(key=b"not-the-key"), "status", {"execution_state": "busy"})
    assert read_message(Session(key=b"the-key"), forged) is None
    assert read_message(Session(key=b"the-key"), [b"no delimiter"]) is None
    manager = Manager(b"the-key")
    watch_activity(manager, "k")
    manager.stream.callback(forged)
    assert manager.kernel.execution_state == "starting"
