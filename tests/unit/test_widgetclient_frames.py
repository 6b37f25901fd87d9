"""The benchmarks' simulated page frames its messages exactly as Jupyter server's
``v1.kernel.websocket.jupyter.org`` protocol does, both ways."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

_SPEC = importlib.util.spec_from_file_location(
    "widgetclient", Path(__file__).resolve().parents[2] / "bench" / "widgetclient.py")
widgetclient = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(widgetclient)

PARTS = [b'{"msg_type": "comm_msg"}', b"{}", b"{}", '{"text": "讨论"}'.encode(), b"\x00\x01png"]


@pytest.mark.parametrize("parts", [PARTS, PARTS[:4]])
def test_the_frames_sent_are_the_servers_own(parts):
    assert widgetclient.encode_frame("shell", parts) == serialize_msg_to_ws_v1(parts, "shell")


@pytest.mark.parametrize("parts", [PARTS, PARTS[:4]])
def test_the_servers_frames_read_back_part_for_part(parts):
    frame = serialize_msg_to_ws_v1(parts, "iopub")
    assert widgetclient.decode_frame(frame) == ("iopub", parts)
    assert widgetclient.decode_frame(frame) == deserialize_msg_from_ws_v1(frame)


def test_a_legacy_text_frame_is_refused():
    with pytest.raises(widgetclient.PageError, match="text frame"):
        widgetclient.decode_frame('{"header": {}}')
