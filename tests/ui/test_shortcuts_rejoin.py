"""Page helpers of actionlab.js in a real browser against a real Voila server.

* The facilitator drives the room from the keyboard (or a presenter remote): arrows,
  PageUp/PageDown and letters press the room controls on the console and on the projector;
  keys typed into a field stay in the field.
* A participant who closed the tab is back as themselves in one tap from the join link on the
  same browser; the remembered name is shown as text, never as markup.

Negative checks ("this key did nothing") use the order of events instead of waiting: a key that
wrongly pressed a button would be handled before the next key, so the step counted after the
next key would be off by one.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.ui.room import PHONE, create_workshop, join

pytestmark = pytest.mark.ui

HOSTILE_NAME = "Dee <img src=x onerror=window.__pwned=1>"


def test_keyboard_shortcuts_drive_the_room(pages, server):
    console, code = create_workshop(pages, server, "Shortcut workshop")
    projector = pages.open(server.base + console.locator(".wb-projector-link").get_attribute("href"),
                           width=1600, height=1000)
    on_projector = projector.locator(".wb-projector-status .wb-step")
    expect(on_projector).to_have_attribute("data-step", "0")

    # On the Workshop tab the room buttons are out of sight: keys press nothing.
    expect(console.locator(".wb-console-tabs .lm-TabBar-tab").nth(0)).to_have_class(
        re.compile(r"lm-mod-current"))
    console.locator(".wb-workshop-overview .wb-workshop-title").click()  # focus off the tab bar
    console.keyboard.press("n")

    tab = console.locator(".wb-console-tabs .lm-TabBar-tab").nth(1)
    tab.click()
    expect(tab).to_have_class(re.compile(r"lm-mod-current"))
    room = console.locator(".wb-room-tab")
    expect(room.locator(".wb-shortcuts")).to_have_count(1)
    step = room.locator(".wb-room-controls .wb-step-banner .wb-step")
    expect(step).to_have_attribute("data-step", "0")

    # Typing in a field is typing, not a shortcut.
    field = room.locator(".wb-question-custom input")
    field.click()
    for key in ("n", "N", "p", "Space", "s", "ArrowRight", "PageDown"):
        console.keyboard.press(key)
    expect(field).to_have_value("nNp s")
    # (ipywidgets' text fields keep their keys to themselves; a checkbox does not: the page
    # script itself must leave keys alone while a form control has the focus)
    room.locator(".wb-timer-sound input").focus()
    for key in ("n", "N", "p", "ArrowRight", "PageDown", "+"):
        console.keyboard.press(key)

    # Click somewhere neutral (the focus leaves the field and the tab bar), then drive.
    step.click()
    console.keyboard.press("ArrowRight")
    expect(step).to_have_attribute("data-step", "1")  # not 2: the Workshop tab's "n" did nothing
    expect(on_projector).to_have_attribute("data-step", "1")  # the projector follows
    console.keyboard.press("PageDown")  # a presenter remote
    expect(step).to_have_attribute("data-step", "2")
    console.keyboard.press("P")
    expect(step).to_have_attribute("data-step", "1")
    expect(on_projector).to_have_attribute("data-step", "1")

    # The same keys work on the projector screen (its compact controls).
    projector.keyboard.press("PageDown")
    expect(step).to_have_attribute("data-step", "2")
    expect(on_projector).to_have_attribute("data-step", "2")
    projector.keyboard.press("ArrowLeft")
    expect(on_projector).to_have_attribute("data-step", "1")
    expect(step).to_have_attribute("data-step", "1")

    # "+" adds a minute to the step's time; Space starts and pauses.
    clock = room.locator(".wb-room-controls .wb-timer-box .wb-countdown-clock")
    expect(clock).to_have_text(re.compile(r"^\d+:00$"))  # a step may come with its own time
    minutes = int(clock.inner_text().split(":")[0])
    console.keyboard.press("+")
    expect(clock).to_have_text(f"{minutes + 1}:00")
    # A mouse click leaves the focus on that button: Space must press only the timer, not it
    # as well (that would add another minute).
    room.locator(".wb-timer-plus1").click()
    expect(clock).to_have_text(f"{minutes + 2}:00")
    console.keyboard.press("Space")
    expect(room.locator(".wb-countdown-running")).to_have_count(1)
    expect(projector.locator(".wb-projector-status .wb-countdown-running")).to_have_count(1)
    console.keyboard.press("Space")
    expect(room.locator(".wb-countdown-paused")).to_have_count(1)
    expect(projector.locator(".wb-projector-status .wb-countdown-paused")).to_have_count(1)
    expect(clock).to_have_text(re.compile(rf"^({minutes + 1}:[0-5]\d|{minutes + 2}:00)$"))
    console.keyboard.press("s")
    expect(room.locator(".wb-countdown-running")).to_have_count(1)

    # L puts the rules on the projector.
    console.keyboard.press("l")
    expect(projector.locator(".wb-rules-up")).to_be_visible()
    expect(room.locator(".wb-rules-toggle")).to_have_class(re.compile(r"mod-active"))


def test_rejoin_in_one_tap_on_the_same_browser(pages, server):
    console, code = create_workshop(pages, server, "Rejoin workshop")
    first = join(pages, server, code, 1, HOSTILE_NAME)
    personal = first.url

    # The same phone opens the plain join link again (the tab was closed, or the connection lost).
    again = first.context.new_page()
    again.on("request", pages._check_request)
    again.goto(server.url("participant", code=code))
    again.wait_for_selector(".wb-page")
    expect(again.locator(".wb-join-submit")).to_be_visible()
    link = again.locator(".wb-rejoin a.wb-rejoin-link")
    expect(link).to_have_text(f"Continue as {HOSTILE_NAME}")  # the typed markup stays text
    assert again.locator(".wb-rejoin img").count() == 0
    assert again.evaluate("typeof window.__pwned") == "undefined"
    pages.shot(again, "rejoin-link")

    link.click()  # nothing typed
    expect(again.locator(".wb-member-name")).to_have_text(HOSTILE_NAME)
    expect(again.locator(".wb-member-group")).to_have_text("Group 2")
    assert again.url == personal
    assert again.evaluate("typeof window.__pwned") == "undefined"
    assert first.evaluate("typeof window.__pwned") == "undefined"

    # Another device knows nobody: no rejoin link there.
    other = pages.open(server.url("participant", code=code), **PHONE)
    expect(other.locator(".wb-rejoin")).to_have_count(1)
    expect(other.locator(".wb-rejoin-link")).to_have_count(0)
    expect(other.locator(".wb-rejoin")).to_be_hidden()

    # Another workshop on the same phone: nothing remembered for its code.
    made = server.cli("demo", "--lang", "en")
    assert made.returncode == 0, made.stderr
    again.goto(server.url("participant", code=made.stdout.strip().splitlines()[0]))
    expect(again.locator(".wb-join-submit")).to_be_visible()
    expect(again.locator(".wb-rejoin")).to_have_count(1)
    expect(again.locator(".wb-rejoin-link")).to_have_count(0)

    # A remembered link that is not valid any more is forgotten once it has been tried.
    again.goto(server.url("participant", code=code))
    expect(link).to_have_text(f"Continue as {HOSTILE_NAME}")
    again.evaluate("""code => localStorage.setItem("actionlab.rejoin." + code, JSON.stringify({
        href: location.pathname + "?code=" + code + "&me=no-such-token", name: "Ghost"}))""", code)
    again.reload()
    expect(link).to_have_text("Continue as Ghost")
    link.click()
    expect(again).to_have_url(re.compile(r"[?&]me=no-such-token"))
    # a join form again (code, or group and name), without the dead link
    expect(again.locator(".wb-join-code-input, .wb-join-submit").first).to_be_visible()
    expect(again.locator(".wb-rejoin-link")).to_have_count(0)
    again.goto(server.url("participant", code=code))
    expect(again.locator(".wb-join-submit")).to_be_visible()
    expect(again.locator(".wb-rejoin-link")).to_have_count(0)
