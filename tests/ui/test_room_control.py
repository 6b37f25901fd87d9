"""Running the room, in a real browser against a real Voila server: the facilitator's
console, the projector and participants' phones open at once.

Steps and modes (locked, hidden, private writing and the reveal), the timer with its signal
and the readiness prompt, the equal-time speaking round, meeting rules and attendance,
questions and question-first mode, entry lock, presence and moving people, projector mode.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from actionlab.services import Workbook
from actionlab.settings import Settings
from tests.ui.room import console_tab, create_workshop, join

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def open_projector(pages, console, server, **size):
    href = console.locator(".wb-projector-link").get_attribute("href")
    projector = pages.open(server.base + href, **(size or {"width": 1600, "height": 1000}))
    expect(projector.locator(".wb-projector-grid")).to_be_visible()
    return projector


def workbook(server) -> Workbook:
    """The same store the server uses, to check what was recorded (and to start a short
    timer: the console's shortest is one minute)."""
    return Workbook.open(Settings(db_url=server.db_url))


@pytest.fixture
def room(pages, server):
    console, code = create_workshop(pages, server, "Room test", groups=2, canvases=("goals",))
    projector = open_projector(pages, console, server)
    ann = join(pages, server, code, 0, "Ann")
    ben = join(pages, server, code, 0, "Ben")
    return console, projector, ann, ben, code


def step_of(page):
    return page.locator(".wb-step-banner .wb-step").first


def test_steps_follow_the_facilitator_with_locked_hidden_and_private_writing(pages, server, room):
    console, projector, ann, ben, _code = room
    console_tab(console, "room")
    controls = console.locator(".wb-room-controls").first
    # the agenda: the rules, then the canvases, then the review; everyone starts on step 1
    for page in (projector, ann, ben):
        expect(step_of(page)).to_have_attribute("data-step", "0")
    controls.locator(".wb-room-next").click()  # restructuring
    controls.locator(".wb-room-next").click()  # goals
    for page in (projector, ann, ben):
        expect(step_of(page)).to_have_attribute("data-step", "2")
    # participants' pages follow: the goals canvas comes up by itself
    expect(ann.locator(".wb-canvas-tabs .lm-TabBar-tab.lm-mod-current")).to_have_text("Goal setting")
    expect(projector.locator(".wb-group-1 .wb-canvas-goals")).to_be_visible()

    # private writing: each sees only their own cards until the reveal
    controls.locator(".wb-room-mode button").nth(3).click()
    for page in (ann, ben):
        expect(page.locator(".wb-canvas-goals .wb-step-mode-private")).to_be_visible()
    ann_goals = ann.locator(".wb-canvas-goals")
    ann_goals.locator(".wb-column-goals .wb-add-text textarea").fill("Ann's private goal " + HOSTILE)
    ann_goals.locator(".wb-column-goals .wb-add-button").click()
    expect(ann_goals.locator(".wb-card-text")).to_contain_text("Ann's private goal")
    expect(ben.locator(".wb-canvas-goals .wb-private-count")).to_contain_text("1")
    expect(ben.locator(".wb-canvas-goals .wb-card")).to_have_count(0)
    expect(projector.locator(".wb-group-1 .wb-canvas-goals .wb-private-count")).to_contain_text("1")
    expect(projector.locator(".wb-group-1 .wb-canvas-goals .wb-card")).to_have_count(0)
    controls.locator(".wb-room-reveal").click()
    expect(ben.locator(".wb-canvas-goals .wb-card-text")).to_contain_text(HOSTILE)  # as text
    expect(projector.locator(".wb-group-1 .wb-canvas-goals .wb-card-text")).to_contain_text("Ann's private goal")

    # locked: read only for members; the service refuses too
    controls.locator(".wb-room-mode button").nth(1).click()
    expect(ann.locator(".wb-canvas-goals.wb-step-locked")).to_have_count(1)
    expect(ann_goals.locator(".wb-column-goals .wb-add")).to_be_hidden()
    expect(ann_goals.locator(".wb-card-edit")).to_be_hidden()
    expect(ann.locator(".wb-step-badge-locked")).to_be_visible()

    # hidden: members see that the step is not open yet, not the cards
    controls.locator(".wb-room-mode button").nth(2).click()
    expect(ann_goals.locator(".wb-step-mode-hidden")).to_be_visible()
    expect(ann_goals.locator(".wb-columns")).to_be_hidden()
    controls.locator(".wb-room-mode button").nth(0).click()
    expect(ann_goals.locator(".wb-column-goals .wb-add")).to_be_visible()

    # one group moves on alone
    controls.locator(".wb-room-scope select").select_option(label="Group 1")
    controls.locator(".wb-room-next").click()
    expect(step_of(ann)).to_have_attribute("data-step", "3")
    expect(step_of(projector)).to_have_attribute("data-step", "2")  # the room stays
    expect(projector.locator(".wb-group-1 .wb-step")).to_have_attribute("data-step", "3")
    assert ann.evaluate("window.__pwned") is None and projector.evaluate("window.__pwned") is None

    with workbook(server) as wb:
        ws = wb.workshops.all()[-1]
        actions = [c.action for c in wb.store.find_changes(workshop_id=ws.id)]
    assert actions.count("room.step") == 3 and "room.reveal" in actions
    assert actions.count("room.mode") == 4


def test_timer_signal_and_readiness_prompt(pages, server, room):
    console, projector, ann, ben, code = room
    console_tab(console, "room")
    controls = console.locator(".wb-room-controls").first
    controls.locator(".wb-timer-sound input").check()
    controls.locator(".wb-timer-minutes input").fill("3")
    controls.locator(".wb-timer-start").click()
    for page in (projector, ann, ben, console):
        expect(page.locator(".wb-timer .wb-countdown-running")).to_be_visible()
        expect(page.locator(".wb-timer .wb-countdown-clock")).to_have_text(re.compile(r"^(3:00|2:5\d)$"))
    controls.locator(".wb-timer-toggle").click()  # pause
    expect(projector.locator(".wb-timer .wb-countdown-paused")).to_be_visible()
    expect(ann.locator(".wb-timer .wb-countdown-paused")).to_be_visible()
    paused = ann.locator(".wb-timer .wb-countdown-clock").inner_text()
    controls.locator(".wb-timer-plus1").click()
    minutes, seconds = map(int, paused.split(":"))
    later = minutes * 60 + seconds + 60
    expect(ann.locator(".wb-timer .wb-countdown-clock")).to_have_text(f"{later // 60}:{later % 60:02d}")

    # the readiness prompt: participants answer, the facilitator sees the counts
    expect(ann.locator(".wb-ready-prompt")).to_be_hidden()
    controls.locator(".wb-ready-ask").click()
    expect(ann.locator(".wb-ready-prompt")).to_be_visible()
    ann.locator(".wb-ready-yes").click()
    expect(ann.locator(".wb-ready-answer")).not_to_be_empty()
    ben.locator(".wb-ready-more").click()
    row = controls.locator('.wb-ready-row[data-group="1"]')
    expect(row.locator(".wb-ready-n")).to_contain_text("1")
    expect(row.locator(".wb-more-n")).to_contain_text("1")
    expect(controls.locator('.wb-ready-row[data-group="2"] .wb-ready-n')).to_contain_text("0")
    controls.locator(".wb-ready-close").click()
    expect(ben.locator(".wb-ready-prompt")).to_be_hidden()

    # time runs out: the countdown turns into the signal, the projector chimes
    with workbook(server) as wb:
        wb.timer.start(wb.workshops.get(code), 2)
    for page in (projector, ann):
        expect(page.locator(".wb-timer .wb-countdown-up")).to_be_visible()
    expect(projector.locator("audio.wb-timer-chime, .wb-timer-chime audio")).to_have_count(1)
    expect(ann.locator(".wb-timer-chime")).to_have_count(0)  # phones stay quiet


def test_equal_time_speaking_round_run_from_the_leaders_phone(pages, server, room):
    console, projector, ann, ben, code = room
    # Ben leads group 1: his phone gets the round's controls after a reload
    with workbook(server) as wb:
        ws = wb.workshops.get(code)
        ben_member = next(m for m in wb.workshops.members(ws) if m.name == "Ben")
        wb.teams.set_role(ws, ben_member.id, "group_leader")
    ben.reload()
    expect(ben.locator(".wb-round-group-1")).to_be_visible()
    expect(ann.locator(".wb-round")).to_have_count(0)  # members only watch

    console_tab(console, "speaking")
    group1 = console.locator(".wb-round-group-1")
    group1.locator(".wb-round-seconds input").fill("30")
    group1.locator(".wb-round-setup").click()
    for page in (ann, ben, projector):
        expect(page.locator(".wb-queue-speaker").first).to_have_text("Ann")
    expect(ann.locator(".wb-queue-next")).to_contain_text("Ben")
    ben.locator(".wb-round-start").click()  # the leader starts Ann's turn
    expect(projector.locator(".wb-group-1 .wb-queue-clock.wb-countdown-running")).to_be_visible()
    expect(ann.locator(".wb-queue-clock .wb-countdown-clock")).to_have_text(re.compile(r"^0:[0-2]\d$"))
    ben.locator(".wb-round-next").click()
    expect(ann.locator(".wb-queue-speaker")).to_have_text("Ben")
    # the facilitator skips Ben, with a reason, from the console
    group1.locator(".wb-round-skip-reason select").select_option("passed")
    group1.locator(".wb-round-skip").click()
    expect(ann.locator(".wb-queue-done")).to_be_visible()
    table = console.locator('.wb-airtime-table[data-group="Group 1"]')
    ann_row = table.locator(".wb-airtime-row", has_text="Ann")
    ben_row = table.locator(".wb-airtime-row", has_text="Ben")
    expect(ann_row.locator(".wb-airtime-turns")).to_have_text("1")
    expect(ben_row.locator(".wb-airtime-skipped")).to_have_text("1")
    group1.locator(".wb-round-end").click()
    expect(ann.locator(".wb-queue-box")).to_have_count(0)

    with workbook(server) as wb:
        turns = wb.store.find_turns(wb.workshops.get(code).id)
    assert [(t.member_name, t.skipped, t.reason) for t in turns] == [
        ("Ann", False, None), ("Ben", True, "passed")]
    assert 0 < turns[0].spoken <= 30


def test_meeting_rules_attendance_questions_and_question_first(pages, server, room):
    console, projector, ann, ben, code = room
    dee = join(pages, server, code, 1, "Dee")
    console_tab(console, "people")
    panel = console.locator(".wb-people-panel")
    panel.locator(".wb-meeting-title input").fill("Kickoff")
    panel.locator(".wb-meeting-add").click()
    panel.locator(".wb-meeting-start").click()
    expect(panel.locator(".wb-meeting-running")).to_contain_text("Kickoff")
    # the rules come up at the start of the meeting, on the projector and every phone
    for page in (projector, ann, dee):
        expect(page.locator(".wb-rules-up .wb-rules-list li")).to_have_count(10)
    # open pages mark their people present; the facilitator corrects by hand
    ann_row = panel.locator(".wb-person", has_text="Ann")
    expect(ann_row.locator(".wb-online")).to_be_visible()
    expect(ann_row.locator(".wb-attendance-status select")).to_have_value("present")
    panel.locator(".wb-person", has_text="Ben").locator(".wb-attendance-status select").select_option("late")
    console_tab(console, "room")
    controls = console.locator(".wb-room-controls").first
    controls.locator(".wb-rules-toggle").click()  # rules down; on demand on phones
    expect(ann.locator(".wb-rules-up")).to_have_count(0)
    expect(ann.locator(".wb-rules-on-demand")).to_be_visible()

    # a question from the library to group 1 only
    questions = console.locator(".wb-questions")
    questions.locator(".wb-question-purpose button").nth(1).click()  # work better as a team
    questions.locator(".wb-question-pick select").select_option(index=0)
    questions.locator(".wb-question-target select").select_option(label="Group 1")
    questions.locator(".wb-question-push").click()
    expect(ann.locator(".wb-question-text")).not_to_be_empty()
    expect(dee.locator(".wb-question")).to_have_count(0)
    # a typed one to the whole room, shown as text everywhere
    questions.locator(".wb-question-target select").select_option(label="All groups")
    questions.locator(".wb-question-custom input").fill("What would a citizen ask? " + HOSTILE)
    questions.locator(".wb-question-push").click()
    for page in (projector, ann, dee):
        expect(page.locator(".wb-question-text").first).to_contain_text(HOSTILE)
    expect(questions.locator(".wb-question-row")).to_have_count(2)

    # questions first: statements are refused until the facilitator opens them
    questions.locator(".wb-question-first").click()
    for page in (projector, ann, dee):  # everyone is told before a statement is refused
        expect(page.locator(".wb-questions-first-on")).to_be_visible()
    board = dee.locator(".wb-canvas-restructure")
    board.locator(".wb-column-symptoms .wb-add-text textarea").fill("Queues are long.")
    board.locator(".wb-column-symptoms .wb-add-button").click()
    expect(board.locator(".wb-error")).to_contain_text("question")
    expect(board.locator(".wb-column-symptoms .wb-add-text textarea")).to_have_value("Queues are long.")
    board.locator(".wb-column-symptoms .wb-add-text textarea").fill("Why are queues long?")
    board.locator(".wb-column-symptoms .wb-add-button").click()
    expect(board.locator(".wb-column-symptoms .wb-card-text")).to_have_text(["Why are queues long?"])
    questions.locator(".wb-question-first").click()
    expect(dee.locator(".wb-questions-first-on")).to_have_count(0)  # statements open again
    board.locator(".wb-column-symptoms .wb-add-text textarea").fill("Queues are long.")
    board.locator(".wb-column-symptoms .wb-add-button").click()
    expect(board.locator(".wb-column-symptoms .wb-card")).to_have_count(2)
    for page in (projector, ann, dee):
        assert page.evaluate("window.__pwned") is None

    with workbook(server) as wb:
        ws = wb.workshops.get(code)
        meeting = wb.meetings.current(ws)
        marks = {wb.store.find_member(a.member_id).name: a.status
                 for a in wb.store.find_attendance(meeting.id)}
    assert marks == {"Ann": "present", "Ben": "late", "Dee": "present"}


def test_entry_lock_presence_and_moving_a_person(pages, server, room):
    console, projector, ann, _ben, code = room
    console_tab(console, "room")
    console.locator(".wb-entry-lock").first.click()
    late = pages.open(server.url("participant", code=code), width=420, height=900)
    late.locator(".wb-join-group input[type=radio]").nth(0).check()
    late.locator(".wb-join-name input").fill("Latecomer")
    late.locator(".wb-join-submit").click()
    expect(late.locator(".wb-error")).to_contain_text("closed entry")
    ann.reload()  # people already in come back as themselves
    expect(ann.locator(".wb-member-name")).to_have_text("Ann")
    # a personal link that does not work says so, above a join form for the same workshop
    stale = pages.open(server.url("participant", code=code, me="not-a-real-token"), width=420, height=900)
    expect(stale.locator(".wb-notice")).to_contain_text("not valid any more")
    expect(stale.locator(".wb-join-group")).to_be_visible()
    console.locator(".wb-entry-lock").first.click()
    late.locator(".wb-join-submit").click()
    expect(late.locator(".wb-member-name")).to_have_text("Latecomer")

    # the facilitator moves Ann to group 2: her page follows, the projector counts change
    console_tab(console, "people")
    row = console.locator(".wb-person", has_text="Ann")
    expect(row.locator(".wb-online")).to_be_visible()
    row.locator(".wb-move-group select").select_option(label="Group 2")
    expect(ann.locator(".wb-member-group")).to_have_text("Group 2")
    expect(projector.locator(".wb-group-2 .wb-member-count")).to_contain_text("1")


@pytest.mark.parametrize("groups,columns", [(1, 1), (4, 2), (5, 3)])
def test_projector_mode_is_large_dark_and_fits_the_groups(pages, server, groups, columns):
    console, _code = create_workshop(pages, server, "Projector test", groups=groups)
    projector = open_projector(pages, console, server, width=1920, height=1080)
    page = projector.locator(".wb-projector")
    expect(page).to_have_class(re.compile(r"wb-theme-dark"))
    expect(projector.locator(".wb-projector-grid")).to_have_class(re.compile(fr"wb-groups-{groups}"))
    tracks = projector.locator(".wb-projector-grid").evaluate(
        "el => getComputedStyle(el).gridTemplateColumns.split(' ').length")
    assert tracks == columns
    # body text of at least 24 px, light on dark
    sizes = projector.evaluate("""() => [...document.querySelectorAll(
        '.wb-projector .wb-column-title, .wb-projector .wb-empty, .wb-projector .wb-step-title,'
        + ' .wb-projector .wb-member-count, .wb-projector .wb-group-name')]
        .filter(e => e.offsetParent !== null)
        .map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert sizes and min(sizes) >= 24, sizes
    colors = page.evaluate("el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    text, background = (list(map(int, re.findall(r"\d+", c)[:3])) for c in colors)
    assert sum(text) > 600 and sum(background) < 120, colors
    console_tab(console, "room")
    console.locator(".wb-theme-toggle").first.click()
    expect(page).to_have_class(re.compile(r"wb-theme-light"))
