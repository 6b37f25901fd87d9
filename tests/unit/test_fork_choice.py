"""Which kernels the server forks (actionlab/kernel_fork.py): the page kernel's command only,
and only where the system can and nobody turned it off."""

from __future__ import annotations

import sys

import pytest

from actionlab import kernel_fork


def test_only_the_page_kernels_command_is_forked():
    assert kernel_fork.page_kernel_args(
        [sys.executable, "-m", "actionlab.page_kernel", "-f", "/tmp/k.json"]) == ["-f", "/tmp/k.json"]
    assert kernel_fork.page_kernel_args([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]) is None
    assert kernel_fork.page_kernel_args([sys.executable, "-m"]) is None
    assert kernel_fork.page_kernel_args([]) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is for Linux")
@pytest.mark.parametrize(("value", "forks"), [(None, True), ("1", True), ("0", False),
                                             ("false", False), ("no", False)])
def test_forking_is_on_by_default_and_can_be_turned_off(value, forks):
    env = {} if value is None else {"ACTIONLAB_FORK_KERNELS": value}
    assert kernel_fork.forking_possible(env) is forks


def test_no_forking_where_the_system_cannot(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert kernel_fork.forking_possible({}) is False
