"""Hostile text in a real browser (issue 7, item 3): what people type shows as text on every
page and never runs.

Members type markup, script, event handlers, javascript: links, template expressions and
right-to-left and emoji text into cards, a "why?" answer and their sub-task; the facilitator
types a hostile workshop title and question. Their own page, another member's page, the
projector and the console show every text literally. The proof that nothing ran: each payload
calls ``__hostile()``, a binding every page gets from the browser before it loads, and sets
``window.__pwned``; the binding is never called, the flag never set, no element or attribute
of a payload is in any page's DOM, and no page asked the server for the payload's picture.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect  # waits up to 20 s (tests/ui/conftest.py)

from actionlab.text import line_text
from tests.ui import room
from tests.ui.test_canvases import add_card, card

pytestmark = pytest.mark.ui

PAYLOADS = [
    "<script>window.__pwned=1;__hostile('script')</script>",
    '<img src=x onerror="window.__pwned=1;__hostile(\'img\')">',
    '"><svg onload="window.__pwned=1;__hostile(\'svg\')"><b>bold?</b>',
    '<a href="javascript:__hostile(\'link\')">open</a> javascript:__hostile(\'text\')',
    "{{7*7}} ${7*7} <%= 7*7 %> #{7*7} {0} %s",
    '<iframe src="javascript:__hostile(\'frame\')"></iframe>'
    '<details open ontoggle="__hostile(\'toggle\')">x</details>',
    "<style>.wb-page{display:none}</style>'; DROP TABLE cards; --",
    "行动学习 👩‍👩‍👧‍👦 🇨🇳 مرحبا שלום \u202eRLO\u202c zero\u200bwidth",
]
#: Names and a title hold at most 40 and 120 characters.
NAME_A = "<img src=x onerror=__hostile('a')>"
NAME_B = '"><svg onload=__hostile(\'b\')>'
TITLE = '<img src=x onerror="__hostile(\'title\')"> {{7*7}} 工作坊'
WHY = "<script>__hostile('why')</script> 因为 ${7*7}"
SUBTASK = '<img src=x onerror="__hostile(\'subtask\')"> 子课题'
QUESTION = '"><svg onload="__hostile(\'question\')"> 为什么？'

#: Everything in a page that would run a payload or show it as markup.
FIND_INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(tag + "[" + name + "]");
      if (["href", "src", "action", "formaction", "xlink:href"].includes(name)
          && /^\\s*javascript:/i.test(attr.value)) found.push(tag + "[" + name + "=javascript:]");
    }
    if (["iframe", "object", "embed"].includes(tag)) found.push(tag);
    if (tag === "img" && el.getAttribute("src") === "x") found.push("img[src=x]");
    if (tag === "script" && /__hostile|__pwned/.test(el.textContent)) found.push("script");
    if (tag === "style" && el.textContent.includes(".wb-page{display:none}")) found.push("style");
    if (tag === "b" && el.textContent === "bold?") found.push("b");
    if (tag === "details" && el.textContent === "x") found.push("details");
  }
  return found;
}"""


class Guard:
    """Opens every page with the ``__hostile`` binding and notes what it heard."""

    def __init__(self, pages):
        self.pages = pages
        self.calls: list[tuple[str, object]] = []
        self.pictures: list[str] = []  # requests for the payloads' picture "x"
        self.opened = []
        pages.open = self.open  # room.create_workshop and room.join open pages through it

    def open(self, url: str, *, width: int = 1280, height: int = 900):
        context = self.pages.browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(60_000)
        context.expose_binding("__hostile",
                               lambda source, what=None: self.calls.append((source["page"].url, what)))
        self.pages.contexts.append(context)
        page = context.new_page()
        page.on("request", self.pages._check_request)
        page.on("request", self._request)
        page.goto(url)
        page.wait_for_selector(".wb-page")
        self.opened.append(page)
        return page

    def _request(self, request) -> None:
        if urlparse(request.url).path.rsplit("/", 1)[-1] == "x":
            self.pictures.append(request.url)

    def assert_the_trap_works(self, page) -> None:
        """A payload let in on purpose (a blank page of the same browser) is caught."""
        probe = page.context.new_page()
        probe.set_content('<img src="data:," onerror="window.__probe = __hostile(\'probe\')">')
        probe.wait_for_function("window.__probe !== undefined")
        probe.close()
        assert self.calls == [("about:blank", "probe")]
        self.calls.clear()

    def assert_nothing_ran(self) -> None:
        for page in self.opened:
            assert page.evaluate("typeof window.__hostile") == "function"  # the trap was set
            assert page.evaluate("window.__pwned") is None, page.url
            assert page.evaluate(FIND_INJECTED) == [], page.url
        assert self.calls == []
        assert self.pictures == []


def exactly(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text) + "$")


def canvas_tab(page, title: str):
    page.locator(".wb-canvas-tabs .lm-TabBar-tab", has_text=title).click()


def test_typed_markup_shows_as_text_on_every_page_and_never_runs(pages, server):
    guard = Guard(pages)
    console, code = room.create_workshop(pages, server, TITLE, groups=2, canvases=("actions",))
    guard.assert_the_trap_works(console)
    projector = pages.open(server.base + console.locator(".wb-projector-link").get_attribute("href"),
                           width=1600, height=1000)
    ann = room.join(pages, server, code, 0, NAME_A)
    ben = room.join(pages, server, code, 0, NAME_B)
    shown_title = line_text(TITLE)
    expect(projector.locator(".wb-projector-title")).to_have_text(exactly(shown_title))
    for page in (ann, ben, projector):
        expect(page).to_have_title(shown_title)  # the page script sets it as text

    # -- Ann types every payload on the restructuring board, and a why answer ------------------
    for page in (ann, ben):
        canvas_tab(page, "Problem restructuring")
    board = ann.locator(".wb-canvas-restructure")
    for payload in PAYLOADS:
        add_card(board, "symptoms", payload)
    problem = add_card(board, "problems", PAYLOADS[1])
    problem.locator(".wb-card-why").click()
    problem.locator(".wb-why-text textarea").fill(WHY)
    problem.locator(".wb-why-save").click()
    expect(card(board.locator(".wb-column-causes"), WHY)).to_have_count(1)

    # -- and her sub-task; the facilitator puts a typed question to the room -------------------
    ann.locator(".wb-my-subtask input").fill(SUBTASK)
    ann.locator(".wb-my-subtask input").press("Tab")
    ann.locator(".wb-my-subtask-save").click()
    expect(ann.locator(".wb-my-subtask-box .wb-notice")).to_be_visible()
    room.console_tab(console, "room")
    questions = console.locator(".wb-questions")
    questions.locator(".wb-question-custom input").fill(QUESTION)
    questions.locator(".wb-question-push").click()

    # -- every page shows every text literally ---------------------------------------------------
    projector.locator(".wb-projector-canvas button", has_text="Problem restructuring").click()
    on_projector = projector.locator(".wb-group-1 .wb-canvas-restructure")
    room.console_tab(console, "canvases")
    console.locator(".wb-facilitate-group select").select_option(label="Group 1")
    console.locator(".wb-facilitate-canvas select").select_option(label="Problem restructuring")
    desk = console.locator(".wb-facilitate-board .wb-canvas-restructure")
    for scope in (board, ben.locator(".wb-canvas-restructure"), on_projector, desk):
        expect(scope).to_be_visible()
        for payload in PAYLOADS:
            expect(card(scope.locator(".wb-column-symptoms"), payload)).to_have_count(1)
        expect(card(scope.locator(".wb-column-causes"), WHY)).to_have_count(1)
        expect(card(scope, PAYLOADS[0]).locator(".wb-card-byline")).to_contain_text(NAME_A)
    for page in (ann, ben):
        expect(page.locator(".wb-question-text")).to_have_text(exactly(QUESTION))
    canvas_tab(ben, "Action plan")
    expect(ben.locator(".wb-canvas-actions .wb-subtasks li").filter(has_text=SUBTASK)).to_have_text(
        exactly(f"{NAME_A}: {SUBTASK}"))
    room.console_tab(console, "workshop")
    expect(console.locator(".wb-roster-names").first).to_have_text(exactly(f"{NAME_A}, {NAME_B}"))

    pages.shot(ann, "hostile-participant")
    pages.shot(projector, "hostile-projector")
    guard.assert_nothing_ran()

