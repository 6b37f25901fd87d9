"""The whole foundation path in a real browser against a real Voila server.

A facilitator creates a workshop; two participants on their own devices join two groups and
add cards; the projector shows them without reload; the export contains them; reloads and a
server restart bring everyone back as themselves.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ui.room import create_workshop, join

pytestmark = pytest.mark.ui

HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'


def add_card(page, column: str, text: str):
    col = page.locator(f".wb-column-{column}")
    col.locator(".wb-add-text textarea").fill(text)
    col.locator(".wb-add-button").click()
    expect(col.locator(".wb-card-text", has_text=text)).to_have_count(1)


def test_facilitator_participants_projector_and_export(pages, server, tmp_path):
    # -- the facilitator creates a workshop -------------------------------------------
    console, code = create_workshop(pages, server, "Room test workshop")
    expect(console.locator(".wb-workshop-info img.wb-join-qr")).to_be_visible()

    # -- the projector, opened from the console's link -----------------------------------
    projector_href = console.locator(".wb-projector-link").get_attribute("href")
    projector = pages.open(server.base + projector_href, width=1600, height=1000)
    expect(projector.locator(".wb-group-panel")).to_have_count(2)
    expect(projector.locator(".wb-projector-top .wb-join-code")).to_have_text(code)

    # -- two participants in two groups add cards -------------------------------------
    ana = join(pages, server, code, 0, "Ana Example")
    ben = join(pages, server, code, 1, "Ben Sample")
    add_card(ana, "symptoms", "Queues are long on Monday mornings")
    add_card(ben, "causes", HOSTILE)
    add_card(ben, "key_problem", "数据不通 is the key problem")

    # -- the projector shows them, live, without reload -------------------------------
    g1 = projector.locator(".wb-group-1")
    g2 = projector.locator(".wb-group-2")
    expect(g1.locator(".wb-column-symptoms .wb-card-text")).to_have_text(
        "Queues are long on Monday mornings")
    expect(g2.locator(".wb-column-causes .wb-card-text")).to_have_text(HOSTILE)  # shown as text
    expect(g2.locator(".wb-column-key_problem .wb-card-text")).to_contain_text("数据不通")
    assert projector.evaluate("document.body.dataset.pwned") is None
    assert projector.locator(".wb-card img").count() == 0
    pages.shot(projector, "projector")

    # -- the console sees who joined --------------------------------------------------
    expect(console.locator(".wb-roster")).to_contain_text("Ana Example")
    expect(console.locator(".wb-roster")).to_contain_text("Ben Sample")

    # -- edit and delete, seen live by the projector ------------------------------------
    card = ana.locator(".wb-column-symptoms .wb-card").first
    card.locator(".wb-card-edit").click()
    card.locator(".wb-card-editor textarea").fill("Queues are long every morning")
    card.locator(".wb-card-save").click()
    expect(g1.locator(".wb-column-symptoms .wb-card-text")).to_have_text("Queues are long every morning")
    add_card(ana, "problems", "A card to delete")
    expect(g1.locator(".wb-column-problems .wb-card-text")).to_have_count(1)
    doomed = ana.locator(".wb-column-problems .wb-card").first
    doomed.locator(".wb-card-delete").click()
    doomed.locator(".wb-card-delete-confirm").click()
    expect(g1.locator(".wb-column-problems .wb-card-text")).to_have_count(0)

    # -- export from the console (download link) holds every card, escaped --------------
    console.locator(".wb-export-format select").select_option(label="Markdown")
    console.locator(".wb-export-button").click()
    link = console.locator(".wb-export-download a.wb-export-link")
    expect(link).to_have_attribute("download", f"{code}-record.md")
    md = base64.b64decode(link.get_attribute("href").split(",", 1)[1]).decode("utf-8")
    assert "Queues are long every morning" in md
    assert "数据不通" in md
    assert "Ana Example" in md and "Ben Sample" in md
    assert "<img" not in md

    # -- the CLI exports the same record as HTML ---------------------------------------
    out = tmp_path / "record.html"
    done = server.cli("export", "--workshop", code, "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert "Queues are long every morning" in html and "Ben Sample" in html
    assert "<img src=x" not in html and "&lt;img" in html

    # -- a reload brings the participant back as themselves ----------------------------
    ana.reload()
    expect(ana.locator(".wb-member-name")).to_have_text("Ana Example")
    expect(ana.locator(".wb-column-symptoms .wb-card-text")).to_have_text("Queues are long every morning")

    # -- so does a server restart ------------------------------------------------------
    ben_url = ben.url
    server.stop()
    server.start()
    ben.goto(ben_url)
    expect(ben.locator(".wb-member-name")).to_have_text("Ben Sample")
    expect(ben.locator(".wb-column-key_problem .wb-card-text")).to_contain_text("数据不通")
    projector.reload()
    expect(projector.locator(".wb-group-1 .wb-column-symptoms .wb-card-text")).to_have_text(
        "Queues are long every morning")


def test_facilitator_pages_need_the_key(pages, server):
    for page_name in ("console", "projector"):
        page = pages.open(server.url(page_name, key="wrong-key"))
        expect(page.locator(".wb-access-denied")).to_be_visible()
        expect(page.locator(".wb-create")).to_have_count(0)


def test_join_with_code_typed_by_hand(pages, server):
    made = server.cli("demo", "--lang", "zh")
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip().splitlines()[0]
    page = pages.open(server.url("participant"), width=420)
    page.locator(".wb-join-code-input input").fill("nope99")
    page.locator(".wb-join-code-submit").click()
    expect(page.locator(".wb-message .wb-notice")).to_be_visible()
    page.locator(".wb-join-code-input input").fill(code.lower())
    page.locator(".wb-join-code-submit").click()
    expect(page.locator(".wb-join-group input[type=radio]")).to_have_count(3)
    page.locator(".wb-join-group input[type=radio]").nth(2).check()
    page.locator(".wb-join-name input").fill("测试学员")
    page.locator(".wb-join-submit").click()
    expect(page.locator(".wb-member-name")).to_have_text("测试学员")
    # the demo group's cards are already on the board (the demo is past restructuring: its tab
    # is not the one shown first, and its board is built when the tab is opened)
    page.locator(".wb-canvas-tabs .lm-TabBar-tab", has_text="问题重组").click()
    expect(page.locator(".wb-column-symptoms .wb-card")).not_to_have_count(0)
    shot = pages.shot(page, "participant-zh")
    assert Path(shot).exists()


def test_workshop_with_chosen_canvases_in_order(pages, server):
    def fishbone_first(console):  # restructure is checked by default; move the fishbone up
        console.locator(".wb-canvas-up-fishbone").click()
        console.locator(".wb-canvas-up-fishbone").click()

    console, code = create_workshop(pages, server, "Two canvases", canvases=["fishbone"],
                                    arrange=fishbone_first)
    projector = pages.open(server.base + console.locator(".wb-projector-link").get_attribute("href"),
                           width=1600)
    expect(projector.locator(".wb-projector-canvas button")).to_have_count(2)
    expect(projector.locator(".wb-group-1 .wb-canvas-fishbone")).to_have_count(1)  # first in order

    member = join(pages, server, code, 1, "Cai Example")
    tabs = member.locator(".wb-canvas-tabs .lm-TabBar-tab")
    expect(tabs).to_have_count(2)
    add_card(member, "people", "Nobody owns the hand-off")  # fishbone, the first tab
    expect(projector.locator(".wb-group-2 .wb-column-people .wb-card-text")).to_have_text(
        "Nobody owns the hand-off")
    tabs.nth(1).click()
    add_card(member, "causes", "Two systems, no shared data")
    projector.locator(".wb-projector-canvas button").nth(1).click()
    expect(projector.locator(".wb-group-2 .wb-canvas-restructure .wb-column-causes .wb-card-text")
           ).to_have_text("Two systems, no shared data")
    pages.shot(member, "participant-tabs")


def test_console_shows_the_workshop_first_and_the_new_workshop_form_on_demand(pages, server):
    laptop = {"width": 1366, "height": 768}
    # an empty store: the form is all there is to do, so it is open
    console = pages.open(server.url("console", key=server.key, lang="en"), **laptop)
    expect(console.locator(".wb-create")).to_be_visible()
    expect(console.locator(".wb-create-toggle")).to_have_class(re.compile(r"\bmod-active\b"))
    console.locator(".wb-create-title input").fill("First workshop")
    console.locator(".wb-create-submit").click()
    code = console.locator(".wb-workshop-info .wb-join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z2-9]{6}$"), timeout=90_000)
    expect(console.locator(".wb-create")).to_be_hidden()
    first = code.inner_text()

    # opened again with a workshop in the store: its code and tabs on the first screen
    console.reload()
    expect(code).to_have_text(first)
    expect(console.locator(".wb-create")).to_be_hidden()
    tabs = console.locator(".wb-console-tabs .lm-TabBar")
    expect(tabs).to_be_visible()
    assert tabs.bounding_box()["y"] + tabs.bounding_box()["height"] < laptop["height"]
    pages.shot(console, "console-first-screen")

    # the toggle opens the form; the second workshop is created, chosen, and the form closes
    console.locator(".wb-create-toggle").click()
    expect(console.locator(".wb-create")).to_be_visible()
    console.locator(".wb-create-title input").fill("Second workshop")
    console.locator(".wb-create-submit").click()
    expect(console.locator(".wb-workshop-info .wb-workshop-title")).to_have_text(
        "Second workshop", timeout=90_000)
    expect(code).not_to_have_text(first)
    expect(console.locator(".wb-create")).to_be_hidden()
    expect(console.locator(".wb-console > .wb-message")).to_contain_text(code.inner_text())
    # and closes when the facilitator changes their mind
    console.locator(".wb-create-toggle").click()
    expect(console.locator(".wb-create")).to_be_visible()
    console.locator(".wb-create-toggle").click()
    expect(console.locator(".wb-create")).to_be_hidden()


@pytest.mark.parametrize("screen", [(1280, 720), (1024, 768)], ids=["720p", "xga"])
def test_projector_on_a_short_screen_shows_the_boards_in_its_upper_half(pages, server, screen):
    width, height = screen
    console, code = create_workshop(pages, server, "A room with an old projector", groups=3)
    projector = pages.open(server.base + console.locator(".wb-projector-link").get_attribute("href"),
                           width=width, height=height)
    expect(projector.locator(".wb-group-panel")).to_have_count(3)
    qr = projector.locator(".wb-projector-top img.wb-join-qr").bounding_box()
    join_code = projector.locator(".wb-projector-top .wb-join-code")
    expect(join_code).to_have_text(code)
    grid = projector.locator(".wb-projector-grid").bounding_box()
    # the join code and its QR stay whole on the screen, the boards start above its middle
    assert qr["y"] >= 0 and qr["y"] + qr["height"] <= grid["y"]
    assert qr["width"] >= 110
    assert grid["y"] < height / 2, grid
    expect(projector.locator(".wb-group-1 .wb-group-name")).to_be_in_viewport()
    # and what the back of the room reads keeps its size
    for selector in (".wb-join-url", ".wb-step-count", ".wb-member-count"):
        size = projector.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 24, (selector, size)
    pages.shot(projector, f"projector-{width}x{height}")


def test_a_phone_gets_fields_and_buttons_a_finger_can_hit(pages, server):
    _console, code = create_workshop(pages, server, "Fingers, not mice", canvases=["fishbone"])
    phone = pages.open(server.url("participant", code=code), width=360, height=740)

    def box(locator):
        locator.scroll_into_view_if_needed()
        return locator.bounding_box()

    def font_size(locator):
        return locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")

    radio = phone.locator(".wb-join-group input[type=radio]").first
    assert box(radio)["width"] >= 22 and box(radio)["height"] >= 22
    name = phone.locator(".wb-join-name input")
    # 44 px high; 16 px text, under which phone browsers zoom into the field and stay zoomed
    assert box(name)["height"] >= 44 and font_size(name) >= 16
    assert box(phone.locator(".wb-join-submit"))["height"] >= 44
    # each group's button before its name, as on every form; the name box as wide as Join
    text_left = radio.evaluate("""e => { const r = document.createRange();
        const text = [...e.parentElement.childNodes].find(n => n.nodeType === Node.TEXT_NODE);
        r.selectNodeContents(text); return r.getBoundingClientRect().left; }""")
    assert box(radio)["x"] + box(radio)["width"] <= text_left
    assert box(name)["width"] >= box(phone.locator(".wb-join-submit"))["width"] - 4
    radio.check()
    name.fill("Thumb Example")
    phone.locator(".wb-join-submit").click()
    expect(phone.locator(".wb-member-name")).to_have_text("Thumb Example")

    save = phone.locator(".wb-my-subtask-save")
    assert box(save)["height"] >= 44
    assert box(save)["x"] + box(save)["width"] <= 360, "the button runs off the screen"
    tab = phone.locator(".wb-canvas-tabs .lm-TabBar-tab").first
    assert box(tab)["height"] >= 40
    textarea = phone.locator(".wb-add-text textarea").first
    assert font_size(textarea) >= 16
    # a canvas's introduction reads as a paragraph, not as lines spaced like fields
    intro = phone.locator(".wb-canvas-intro").first
    spacing = intro.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) / parseFloat(getComputedStyle(e).fontSize)")
    assert spacing <= 1.7, spacing
    pages.shot(phone, "phone-board")
