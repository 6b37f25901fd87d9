"""Page kernels forked from one parent (:mod:`actionlab.kernel_zygote`) instead of started anew.

The pages' kernel specification names this provisioner (``actionlab-fork``, an entry point
of ``jupyter_client.kernel_provisioners``). It is jupyter_client's local provisioner but for
the launch: when the command is the page kernel's and the system can (Linux, ``pidfd``), the
kernel is forked from the server's kernel parent, started with the first kernel. Anything
else, or a parent that could not start, falls back to starting the command as usual, with
a warning in the server's log.

A forked kernel is not the server's child, so it is watched through a pidfd (which names
that process and no later one with the same number) rather than ``waitpid``.

``ACTIONLAB_FORK_KERNELS=0`` turns forking off (to compare, or to rule it out).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

log = logging.getLogger(__name__)

PAGE_KERNEL = "actionlab.page_kernel"
#: Seconds the kernel parent may take to import everything.
READY_TIMEOUT = 120.0
#: Seconds for one fork's answer.
FORK_TIMEOUT = 30.0


def forking_possible(env: dict[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return (sys.platform.startswith("linux") and hasattr(os, "pidfd_open")
            and hasattr(signal, "pidfd_send_signal")
            and env.get("ACTIONLAB_FORK_KERNELS", "1").strip().lower() not in ("0", "false", "no", "off"))


def page_kernel_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``python -m actionlab.page_kernel`` in ``cmd``, or None when
    ``cmd`` starts something else."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", PAGE_KERNEL]:
        return list(cmd[3:])
    return None


class ZygoteError(RuntimeError):
    """The kernel parent could not start, or stopped answering."""


class Zygote:
    """The server's end of one kernel parent process."""

    def __init__(self, python: str, env: dict[str, str], cwd: str | None):
        ours, theirs = socket.socketpair()
        self._lock = threading.Lock()
        try:
            self.proc = subprocess.Popen(
                [python, "-m", "actionlab.kernel_zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, cwd=cwd, stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._sock = ours
        self._reader = ours.makefile("rb")
        answer = self._answer(READY_TIMEOUT)
        if not answer.get("ready"):
            self.close()
            raise ZygoteError(answer.get("error") or f"unexpected answer {answer!r}")

    def _answer(self, timeout: float) -> dict:
        self._sock.settimeout(timeout)
        try:
            line = self._reader.readline()
        except OSError as error:  # a timeout included
            raise ZygoteError(f"the kernel parent did not answer: {error}") from error
        if not line:
            raise ZygoteError("the kernel parent has ended")
        return json.loads(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, args: list[str], env: dict[str, str], cwd: str | None) -> int:
        """A new page kernel with ``args``: its pid."""
        with self._lock:
            request = json.dumps({"args": args, "env": dict(env), "cwd": cwd})
            try:
                self._sock.sendall(request.encode() + b"\n")
            except OSError as error:
                raise ZygoteError(f"the kernel parent is gone: {error}") from error
            answer = self._answer(FORK_TIMEOUT)
        return int(answer["pid"])

    def close(self) -> None:
        self._reader.close()
        self._sock.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_zygote: Zygote | None = None
_zygote_failed = False
_zygote_lock = threading.Lock()


def zygote(python: str, env: dict[str, str], cwd: str | None) -> Zygote | None:
    """The server's kernel parent, started on first use (again if it ended); None when it
    could not start (said once in the log)."""
    global _zygote, _zygote_failed
    with _zygote_lock:
        if _zygote is not None and not _zygote.alive():
            log.warning("the page kernels' parent process ended; starting another")
            _zygote = None
        if _zygote is None and not _zygote_failed:
            try:
                _zygote = Zygote(python, env, cwd)
            except (OSError, ZygoteError) as error:
                _zygote_failed = True
                log.warning("page kernels start one by one: their parent process failed: %s", error)
        return _zygote


def reset() -> None:
    """Close the kernel parent (tests; the server's exit closes it anyway)."""
    global _zygote, _zygote_failed
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
        _zygote, _zygote_failed = None, False


class ForkedKernel:
    """What jupyter_client's local provisioner needs of a ``Popen``, for a kernel that is not
    this process's child. Its exit status is not known here: 0 when it ended by itself,
    minus the signal when it ended after one was sent."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._signalled = 0
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._fd, self.returncode = None, 0

    def _ended(self) -> None:
        os.close(self._fd)
        self._fd = None
        self.returncode = -self._signalled if self._signalled else 0

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            # poll(), not select(): a server with forty pages holds more than 1024 descriptors
            waiting = select.poll()
            waiting.register(self._fd, select.POLLIN)
            if not waiting.poll(None if timeout is None else max(0, round(timeout * 1000))):
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            self._ended()
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._fd, signum)
            if signum in (signal.SIGTERM, signal.SIGKILL):
                self._signalled = signum

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, forking page kernels from their parent process."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        args = page_kernel_args(cmd)
        env = dict(kwargs.get("env") or os.environ)
        cwd = kwargs.get("cwd")
        if args is None or not forking_possible(env):
            return await super().launch_kernel(cmd, **kwargs)
        try:
            pid = await asyncio.to_thread(self._fork, cmd[0], args, env, cwd)
        except ZygoteError as error:
            log.warning("a page kernel starts on its own: %s", error)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid  # the kernel leads its own process group
        self.cwd = cwd or os.getcwd()
        return self.connection_info

    @staticmethod
    def _fork(python: str, args: list[str], env: dict[str, str], cwd: str | None) -> int:
        parent = zygote(python, env, cwd)
        if parent is None:
            raise ZygoteError("no kernel parent")
        return parent.fork(args, env, cwd)
