"""How the tests and the benchmarks start Debian's Chromium: one place for its path, its flags
and its environment."""

from __future__ import annotations

import os
import shutil
import tempfile

from actionlab.storeserver import SOCKET_PATH_MAX

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# No sandbox (run as root in CI), no GPU, and none of the browser's own traffic: this machine
# reaches no network, and Chromium's connections would only be refused.
_BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

# Headless Chromium runs the desktop browser's address bar, unseen: since version 156 its
# suggestion popup is a web page of its own (a "top chrome" WebUI) that every new browser
# context starts in a renderer of its own, about 0.8 CPU seconds per context on this machine
# (twice what a trivial page costs). No phone pays it; the tests and the room benchmark open a
# context per person, so they turn it off. Caution: Chromium keeps only the last
# --disable-features, so this one replaces the list Playwright passes by default
# (HttpsUpgrades, PaintHolding …): the two lists are still to be merged into one switch.
DESKTOP_UI_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxFullPopup", "WebUIOmniboxAimPopup"]

CHROMIUM_ARGS = [*_BASE_ARGS, f"--disable-features={','.join(DESKTOP_UI_FEATURES)}"]


def chromium_env() -> dict[str, str]:
    """Chromium's environment. Its singleton socket goes in a folder of the temporary folder,
    and a Unix socket's path holds at most 107 bytes: a deeper TMPDIR (a test worker's) gives
    way to /tmp, or Chromium ends at start."""
    env = dict(os.environ)
    socket = os.path.join(tempfile.gettempdir(), "org.chromium.Chromium.XXXXXX", "SingletonSocket")
    if len(socket.encode()) > SOCKET_PATH_MAX and os.path.isdir("/tmp"):
        env["TMPDIR"] = "/tmp"
    return env
