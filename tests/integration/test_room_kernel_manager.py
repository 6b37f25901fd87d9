"""The kernel manager ``actionlab serve`` gives Voila (actionlab/voila_room.py), on jupyter_server's
own AsyncMappingKernelManager with kernel start and shutdown replaced by fakes: the last seat,
the facilitator's reserve, and which kernels a sweep shuts down."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from tests.support.clock import HandClock


@pytest.fixture
def clock():
    return HandClock()


@pytest.fixture
def manager(monkeypatch, clock):
    voila_room = pytest.importorskip("actionlab.voila_room")
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    started, stopped = asyncio.Event(), []

    async def fake_start(self, **kwargs):
        await started.wait()  # a kernel takes a while to start
        kernel_id = f"k{len(self._kernels) + len(stopped)}"
        self._kernels[kernel_id] = object()
        self._kernel_connections[kernel_id] = 0
        return kernel_id

    async def fake_shutdown(self, kernel_id, *args, **kwargs):
        self._kernels.pop(kernel_id)
        stopped.append(kernel_id)

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", fake_start)
    monkeypatch.setattr(AsyncMappingKernelManager, "shutdown_kernel", fake_shutdown)
    monkeypatch.setattr(voila_room.RoomKernelManager, "_start_sweeping", lambda self: None)
    km = voila_room.RoomKernelManager(grace=30, max_kernels=4, facilitator_reserve=1)
    km.watch.clock = clock
    km.test_started, km.test_stopped = started, stopped
    return km


def visit_page(km, facilitator=False):
    """What the page handler does around Voila's render: returns the kernel id or 'full'."""
    from actionlab.voila_room import PAGE_VISIT, PageVisit, RoomFull

    async def page():
        visit = PageVisit(facilitator=lambda: facilitator)
        PAGE_VISIT.set(visit)
        try:
            if not km.has_seat(visit):
                raise RoomFull()
            return await km.start_kernel(env={})
        except RoomFull:
            return "full"
        finally:
            km.page_done(visit)

    return page()


def test_the_last_seat_goes_to_one_page_only(manager):
    async def scenario():
        # four pages ask at once, while the kernels are still starting
        pages = [asyncio.ensure_future(visit_page(manager)) for _ in range(4)]
        await asyncio.sleep(0)
        manager.test_started.set()
        return await asyncio.gather(*pages)

    results = asyncio.run(scenario())
    assert sorted(results) == ["full", "k0", "k1", "k2"]  # 4 seats, 1 kept for the facilitator
    assert asyncio.run(visit_page(manager)) == "full"
    assert asyncio.run(visit_page(manager, facilitator=True)) == "k3"
    assert asyncio.run(visit_page(manager, facilitator=True)) == "full"


def test_sweep_shuts_down_pages_without_a_browser_and_keeps_the_pool(manager, clock):
    manager.test_started.set()
    kept, gone, back = (asyncio.run(visit_page(manager)) for _ in range(3))
    for kernel_id in (kept, gone, back):
        manager.notify_connect(kernel_id)
    manager.notify_disconnect(gone)
    manager.notify_disconnect(back)
    manager._kernels["pooled"] = object()  # a preheated kernel no page has claimed
    manager._kernel_connections["pooled"] = 0
    manager.watch.started("pooled", by_page=False)
    done = concurrent.futures.Future()
    done.set_result({"kernel_id": "pooled"})
    manager._pools = {"participant.ipynb": [done]}

    clock.now += 20
    manager.notify_connect(back)
    clock.now += 20
    assert asyncio.run(manager.sweep()) == [gone]
    assert set(manager._kernels) == {kept, back, "pooled"} and manager.test_stopped == [gone]
    assert manager.kernels_in_use() == 3
