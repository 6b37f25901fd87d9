"""Browser tests: a real Voila server (``actionlab serve``) and Debian's Chromium."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, chromium_env
from tests.support.server import VoilaServer

LOCAL_HOSTS = {"127.0.0.1", "localhost"}

pytestmark = pytest.mark.ui

# One Voila kernel per open page on a 2-core machine: give waiting assertions room to breathe
# (they still return as soon as the condition holds).
try:
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=20_000)
except ImportError:  # playwright missing: the fixtures below skip
    pass


@pytest.fixture(scope="session")
def playwright_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env=chromium_env(),
        )
        yield browser
        browser.close()


class Pages:
    """Opens pages, each in its own browser context (its own device), and watches that no
    request leaves this machine (no CDN)."""

    def __init__(self, browser, artifacts: Path):
        self.browser = browser
        self.artifacts = artifacts
        self.contexts = []
        self.outside_requests: list[str] = []

    def open(self, url: str, *, width: int = 1280, height: int = 900, timeout_ms: int = 60_000):
        context = self.browser.new_context(viewport={"width": width, "height": height},
                                           accept_downloads=True)
        context.set_default_timeout(60_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("request", self._check_request)
        page.goto(url, timeout=timeout_ms)  # a page whose notebook runs long still streams
        page.wait_for_selector(".wb-page", timeout=timeout_ms)
        return page

    def _check_request(self, request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host not in LOCAL_HOSTS:
            self.outside_requests.append(request.url)

    def shot(self, page, name: str) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(playwright_browser, request):
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / request.node.name
    p = Pages(playwright_browser, artifacts)
    yield p
    p.close()
    assert not p.outside_requests, f"requests left the machine: {p.outside_requests[:5]}"


@pytest.fixture
def server(tmp_path, request):
    srv = VoilaServer(tmp_path, f"sqlite:///{tmp_path / 'room.db'}").start()
    yield srv
    srv.stop()
    if request.node.get_closest_marker("refused_messages"):
        return
    # the pages' front end sends the kernel only messages Voila lets through
    refused = [line for line in srv.log().splitlines() if "which is not allowed" in line]
    assert not refused, f"the server refused messages from the pages: {refused[:3]}"
