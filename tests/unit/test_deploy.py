"""The shipped deployment of several rooms: the launcher and the nginx configuration agree.

(nginx itself reads the configuration in tests/integration/test_nginx_rooms.py; the rooms run
behind it in tests/ui/test_rooms_pg.py.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS_SH = ROOT / "deploy" / "rooms.sh"
ROOMS_CONF = ROOT / "deploy" / "nginx" / "actionlab-rooms.conf"
PG = "postgresql+psycopg://actionlab@127.0.0.1/actionlab"


def launcher(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONLAB_")}
    return subprocess.run([shutil.which("sh") or "/bin/sh", str(ROOMS_SH), *args],
                          env={**clean, **env}, capture_output=True, text=True, timeout=30)


def nginx_rooms() -> dict[str, int]:
    """``/roomN/`` -> the port nginx sends it to, read from the shipped configuration."""
    text = ROOMS_CONF.read_text(encoding="utf-8")
    upstreams = dict(re.findall(r"upstream (\w+) \{ server 127\.0\.0\.1:(\d+);", text))
    routes = re.findall(r"location (/room\d+/) \{ proxy_pass http://(\w+); \}", text)
    return {path: int(upstreams[name]) for path, name in routes}


def test_launcher_and_nginx_send_each_room_to_the_same_process():
    done = launcher("5", ACTIONLAB_DB=PG, ACTIONLAB_PUBLIC_URL="https://rooms.example.org/",
                    ACTIONLAB_ROOMS_DRY_RUN="1")
    assert done.returncode == 0, done.stderr
    started = {}
    for line in done.stdout.splitlines():
        words = line.split()
        assert words[:2] == ["actionlab", "serve"], line
        options = dict(zip(words[2::2], words[3::2], strict=True))
        assert options["--public-url"] == "https://rooms.example.org/"
        assert "--db" not in options and "--key" not in options  # secrets stay out of `ps`
        started[options["--base-url"]] = int(options["--port"])
    expected = {f"/room{i}/": 8870 + i for i in range(1, 6)}
    assert started == expected
    assert nginx_rooms() == expected


def test_nginx_passes_what_kernels_and_pages_need():
    text = ROOMS_CONF.read_text(encoding="utf-8")
    directives = {m.group(1): m.group(2) for m in
                  re.finditer(r"^\s*(proxy_\w+(?: \w+)?|listen) ([^;#]+);", text, re.MULTILINE)}
    assert directives["proxy_http_version"] == "1.1"
    assert directives["proxy_set_header Upgrade"] == "$http_upgrade"
    assert directives["proxy_set_header Connection"] == "$actionlab_connection"
    assert directives["proxy_set_header Host"] == "$http_host"  # Jupyter checks Origin against it
    assert directives["proxy_buffering"] == "off"
    hours = re.fullmatch(r"(\d+)h", directives["proxy_read_timeout"])
    assert hours and int(hours.group(1)) >= 8, "a kernel websocket lives for a whole session"
    # the locations set no header of their own, so they inherit every one above
    assert not re.search(r"location [^{]*\{[^}]*proxy_set_header", text)


@pytest.mark.parametrize("args, env, message", [
    (["5"], {"ACTIONLAB_PUBLIC_URL": "https://r.example.org/"}, "set ACTIONLAB_DB"),
    (["5"], {"ACTIONLAB_DB": PG}, "set ACTIONLAB_PUBLIC_URL"),
    (["5"], {"ACTIONLAB_DB": "sqlite:///x.db", "ACTIONLAB_PUBLIC_URL": "https://r.example.org/"},
     "one PostgreSQL store"),
    (["five"], {"ACTIONLAB_DB": PG, "ACTIONLAB_PUBLIC_URL": "https://r.example.org/"},
     "must be a number"),
    (["0"], {"ACTIONLAB_DB": PG, "ACTIONLAB_PUBLIC_URL": "https://r.example.org/"},
     "between 1 and 50"),
])
def test_launcher_says_what_is_missing(args, env, message):
    done = launcher(*args, **env)
    assert done.returncode != 0 and message in done.stderr
