"""Steps every browser test takes: the facilitator creates a workshop, a participant joins."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PHONE = {"width": 420, "height": 900}
#: The console's tabs, in order (widgets/console.py).
CONSOLE_TABS = ("workshop", "room", "people", "speaking", "canvases", "teams", "followup",
                "evaluation", "programme")


def console_tab(console, name: str):
    """Open one of the console's tabs and return its tab button."""
    tab = console.locator(".wb-console-tabs .lm-TabBar-tab").nth(CONSOLE_TABS.index(name))
    tab.click()
    expect(tab).to_have_class(re.compile(r"lm-mod-current"))
    return tab


def open_create_form(console) -> None:
    """Open the console's "new workshop" form: it is open by itself only on an empty store."""
    toggle = console.locator(".wb-create-toggle")
    expect(toggle).to_be_visible()
    if not console.locator(".wb-create").is_visible():
        toggle.click()
    expect(console.locator(".wb-create-title input")).to_be_visible()


def create_workshop(pages, server, title: str, *, groups: int = 2, canvases=(), arrange=None):
    """The facilitator opens the console (in English) and creates a workshop with ``groups``
    groups, ticking ``canvases`` besides the pre-ticked restructuring; ``arrange(console)``
    may reorder them before creating. Returns the console page and the join code."""
    console = pages.open(server.url("console", key=server.key, lang="en"))
    open_create_form(console)
    console.locator(".wb-create-title input").fill(title)
    console.locator(".wb-create-lang select").select_option(label="English")
    console.locator(".wb-create-groups input").fill(str(groups))
    # problem restructuring is ticked for every new workshop
    expect(console.locator(".wb-canvas-choice-restructure input")).to_be_checked()
    for key in canvases:
        console.locator(f".wb-canvas-choice-{key} input").check()
    if arrange is not None:
        arrange(console)
    console.locator(".wb-create-submit").click()
    code_box = console.locator(".wb-workshop-info .wb-join-code")
    # creating builds every facilitator panel of the new workshop: slow on a busy machine
    expect(code_box).to_have_text(re.compile(r"^[A-Z2-9]{6}$"), timeout=90_000)
    return console, code_box.inner_text()


def join(pages, server, code: str, group_index: int, name: str, **size):
    """A participant opens the join link on their own device, picks a group and a name."""
    page = pages.open(server.url("participant", code=code), **(size or PHONE))
    page.locator(".wb-join-group input[type=radio]").nth(group_index).check()
    page.locator(".wb-join-name input").fill(name)
    page.locator(".wb-join-submit").click()
    expect(page.locator(".wb-member-name")).to_have_text(name)
    # the personal link is now in the address bar, so a reload brings them back
    expect(page).to_have_url(re.compile(r"[?&]me="))
    return page
