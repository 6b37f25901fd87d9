"""Preheated participant kernels: the plan, the pool's size, and a kernel waiting for its visitor.

The whole path (a real Voila pool, a browser claiming a preheated kernel with a personal link)
runs in tests/ui/test_preheat.py.
"""

from __future__ import annotations

import json
import os
import threading

import pytest
from traitlets.config.loader import PyFileConfigLoader

from actionlab import preheat, server
from actionlab.kernels import Seats, pool_target
from actionlab.settings import Settings


def test_serve_preheats_participant_kernels_for_the_expected_room(tmp_path, monkeypatch):
    assert Settings().preheat == 2  # one computer trying the workbook
    assert Settings(room=True).preheat == 40  # a room: 4–5 groups of up to 8
    assert Settings(public_url="https://rooms.example.org/").preheat == 40
    assert Settings(room=True, preheat=0).preheat == 0
    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db", preheat=25))
    assert "--preheat_kernel=True" in plan.argv
    assert "--RoomKernelManager.preheat=25" in plan.argv
    assert plan.env["ACTIONLAB_PREHEAT"] == "25"
    monkeypatch.setenv("ACTIONLAB_PREHEAT", "0")
    plan = server.plan(Settings.from_env(db_url=f"sqlite:///{tmp_path}/x.db"))
    assert not any(arg.startswith("--preheat_kernel") for arg in plan.argv)
    assert plan.env["ACTIONLAB_PREHEAT"] == "0"


@pytest.mark.parametrize("value, hook", [("0", True), ("", True), ("12", False), ("x", True)])
def test_prelaunch_hook_only_without_preheated_kernels(monkeypatch, value, hook):
    """Voila refuses a prelaunch hook beside preheated kernels; the room's page handler keeps
    every other notebook out either way."""
    monkeypatch.setenv("ACTIONLAB_PREHEAT", value)
    config = PyFileConfigLoader("voila.py", path=str(server.VOILA_CONFIG_DIR)).load_config()
    if hook:
        assert config.VoilaConfiguration.prelaunch_hook is server.pages_only
    else:
        assert "prelaunch_hook" not in config.VoilaConfiguration


def test_pool_follows_the_room_keeps_a_margin_and_never_takes_seats_that_are_not_there():
    room = Seats(60, 4)  # 56 seats for participants
    assert pool_target(40, 0, 2, room) == 40  # nobody yet: one kernel per expected person
    assert pool_target(40, 25, 27, room) == 15  # 25 arrived
    assert pool_target(40, 40, 42, room) == 4  # all in: a tenth kept for reloads, late comers
    assert pool_target(40, 55, 55, room) == 1  # the pool never crosses the participants' seats
    assert pool_target(40, 56, 58, room) == 0
    assert pool_target(5, 5, 5, room) == 2  # a small room keeps two
    assert pool_target(1, 0, 0, room) == 1
    assert pool_target(0, 0, 0, room) == 0
    assert pool_target(300, 0, 0, Seats(0)) == 300  # no cap


def test_query_url_is_voilas_for_the_kernel():
    env = {"VOILA_APP_PORT": "8871", "VOILA_SERVER_URL": "/room1/", "VOILA_KERNEL_ID": "k-1"}
    assert preheat.query_url(env) == "ws://127.0.0.1:8871/room1/voila/query/k-1"
    env["VOILA_WS_BASE_URL"] = "/proxied"
    assert preheat.query_url(env) == "ws://127.0.0.1:8871/proxied/voila/query/k-1"


def test_a_kernel_that_was_not_preheated_does_not_wait(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    assert preheat.wait_for_request("ws://127.0.0.1:9/never") is False
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    assert preheat.wait_for_request("ws://127.0.0.1:9/never") is False


def test_a_preheated_kernel_takes_its_visitors_request_from_voilas_websocket(monkeypatch):
    from websockets.sync.server import serve

    request = {"QUERY_STRING": "code=ABC234&me=t-1", "SCRIPT_NAME": "/room1/voila/render/"
               "participant.ipynb", "SERVER_NAME": "127.0.0.1"}
    asked: list[str] = []

    def handler(socket):
        asked.append(socket.request.path)
        socket.send(json.dumps(request))

    with serve(handler, "127.0.0.1", 0) as ws_server:
        port = ws_server.socket.getsockname()[1]
        thread = threading.Thread(target=ws_server.serve_forever, daemon=True)
        thread.start()
        monkeypatch.setenv("VOILA_PREHEAT", "True")
        monkeypatch.setenv("VOILA_APP_PORT", str(port))
        monkeypatch.setenv("VOILA_SERVER_URL", "/room1/")
        monkeypatch.setenv("VOILA_KERNEL_ID", "kernel-7")
        for name in request:  # put back as they were after the test
            monkeypatch.delenv(name, raising=False)
        assert preheat.wait_for_request() is True
        ws_server.shutdown()
    assert asked == ["/room1/voila/query/kernel-7"]
    assert os.environ["QUERY_STRING"] == "code=ABC234&me=t-1"
    assert os.environ["SCRIPT_NAME"].endswith("participant.ipynb")
    assert not preheat.preheated()  # claimed: a page like any other from now on


def test_a_preheated_kernel_whose_server_is_gone_builds_a_bare_page(monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    assert preheat.wait_for_request(f"ws://127.0.0.1:{port}/voila/query/x") is False
