"""A private nginx for the tests, running the repository's own rooms configuration.

``NginxRooms`` copies ``deploy/nginx/actionlab-rooms.conf`` into a temporary folder with two
changes only: it listens on a free port of 127.0.0.1 instead of port 80, and room N goes to
the port the test gives (instead of 8870+N). Around it goes a minimal main configuration whose
pid file, logs and temporary folders are all in that folder, so nginx runs without touching
the system's (and as any user). Everything else (headers, timeouts, buffering, the locations)
is the shipped file as it is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.server import free_port, terminate

ROOMS_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "actionlab-rooms.conf"
INSTALL_HINT = ("nginx is not installed: run `make system-deps` (installs Debian's nginx "
                "package) or `sudo apt-get install nginx`")
_UPSTREAM = re.compile(r"server 127\.0\.0\.1:(887\d);")


class NginxUnavailable(RuntimeError):
    """The nginx program is not installed."""


def find_nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found is None:
        raise NginxUnavailable(INSTALL_HINT)
    return found


def rooms_config(listen_port: int, room_ports: dict[int, int]) -> str:
    """The shipped configuration with the listen port and the rooms' ports replaced."""
    text = ROOMS_CONF.read_text(encoding="utf-8")
    text, listens = re.subn(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{listen_port};", text,
                            flags=re.MULTILINE)
    assert listens == 1, "the rooms configuration should have one `listen 80;` line"

    def port(match: re.Match) -> str:
        room = int(match.group(1)) - 8870
        return f"server 127.0.0.1:{room_ports.get(room, match.group(1))};"

    return _UPSTREAM.sub(port, text)


class NginxRooms:
    """nginx in front of the rooms ``room_ports`` ({1: port, 2: port, …}); ``base`` is its
    address. Use as a context manager or call start()/stop()."""

    def __init__(self, room_ports: dict[int, int], *, port: int | None = None,
                 worker_connections: int = 512):
        """``worker_connections``: every page's websocket takes two (browser side and room
        side); a benchmark with hundreds of pages raises it."""
        self.nginx = find_nginx()
        self.room_ports = dict(room_ports)
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="actionlab-nginx-"))
        self.proc: subprocess.Popen | None = None
        self.conf = self.dir / "nginx.conf"
        (self.dir / "actionlab-rooms.conf").write_text(rooms_config(self.port, self.room_ports),
                                                       encoding="utf-8")
        temp = "\n".join(f"    {kind}_temp_path {self.dir / kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # as root, nginx would hand its workers to an unprivileged user who cannot reach the
        # test's folder; they read and write nothing but this folder
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"{user}worker_processes 1;\n"
            f"daemon off;\n"
            f"pid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.dir / 'error.log'} info;\n"
            f"events {{ worker_connections {int(worker_connections)}; }}\n"
            "http {\n"
            f"    access_log {self.dir / 'access.log'};\n"
            f"{temp}\n"
            f"    include {self.dir / 'actionlab-rooms.conf'};\n"
            "}\n",
            encoding="utf-8",
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self, *args: str) -> list[str]:
        return [self.nginx, "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c",
                str(self.conf), *args]

    def check(self) -> subprocess.CompletedProcess:
        """``nginx -t``: the configuration parses and holds together."""
        return subprocess.run(self._command("-t"), capture_output=True, text=True, timeout=60)

    def start(self, timeout: float = 30) -> NginxRooms:
        checked = self.check()
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        self.proc = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited early:\n{self.log()}")
            try:  # anything but a room is 404: nginx itself answers
                urllib.request.urlopen(f"{self.base}/", timeout=2)
            except urllib.error.HTTPError as answer:
                if answer.code == 404:
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc)  # SIGTERM: fast shutdown of master and workers
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"

    def __enter__(self) -> NginxRooms:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
