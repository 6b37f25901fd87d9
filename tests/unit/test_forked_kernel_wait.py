"""A forked page kernel's process is watched through its pidfd however many descriptors the
server holds: a room of forty pages keeps well over 1024 open."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys

import pytest

from actionlab.kernel_fork import ForkedKernel

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="Linux pidfds")


@pytest.fixture
def crowded():
    """Descriptors taken up to past 1024, as in a busy server; given back afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows {hard} open files")
    if soft != resource.RLIM_INFINITY and soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    taken = []
    try:
        while not taken or taken[-1] < 1030:
            taken.append(os.open(os.devnull, os.O_RDONLY))
        yield
    finally:
        for fd in taken:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_kernel_past_descriptor_1024_is_polled_signalled_and_reaped(crowded):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kernel = ForkedKernel(child.pid)
        assert kernel._fd > 1024
        assert kernel.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            kernel.wait(0.05)
        kernel.terminate()
        # the pidfd reads ready once the process has ended, reaped or not
        child.wait(10)
        assert kernel.wait(10) == -signal.SIGTERM
        assert kernel.poll() == -signal.SIGTERM
    finally:
        child.kill()
        child.wait()
