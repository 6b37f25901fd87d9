"""A group follow-up meeting end to end, in a real browser against a real Voila server: the
facilitator schedules it from its template and runs it; two members' phones show the open
actions, take their progress reports (which move their actions' statuses) and their reviews;
the projector and the console's Follow-up tab show what came in."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.settings import Settings
from tests.ui.room import console_tab, create_workshop, join

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def workbook(server) -> Workbook:
    return Workbook.open(Settings(db_url=server.db_url))


def next_step(console, page, kind: str) -> None:
    """The facilitator moves the room on; the member's phone shows the step's kind."""
    console.locator(".wb-room-controls .wb-room-next").first.click()
    expect(page.locator(f'.wb-step-banner .wb-step[data-kind="{kind}"]')).to_be_visible()


def test_a_follow_up_meeting_with_progress_reports_discussion_and_review(pages, server):
    console, code = create_workshop(pages, server, "Follow-up", groups=1, canvases=("actions",))
    href = console.locator(".wb-projector-link").get_attribute("href")
    projector = pages.open(server.base + href, width=1600, height=1000)
    ann = join(pages, server, code, 0, "Ann")
    ben = join(pages, server, code, 0, "Ben")
    # the action plan from the last meeting: Ann's action is overdue, Ben's is not
    with workbook(server) as wb:
        ws = wb.workshops.get(code)
        members = {m.name: m for m in wb.workshops.members(ws)}
        group = wb.workshops.groups(ws)[0]
        past, later = date.today() - timedelta(days=3), date.today() + timedelta(days=20)
        mine = wb.canvas.add_card(Author(), ws, group.id, "actions", "actions", "Merge the lists",
                                  fields={"owner": members["Ann"].id, "due": past.isoformat(),
                                          "measure": "One list", "status": "in_progress"})
        his = wb.canvas.add_card(Author(), ws, group.id, "actions", "actions", "Analyse the data",
                                 fields={"owner": members["Ben"].id, "due": later.isoformat(),
                                         "measure": "A report", "status": "not_started"})

    # scheduled from the template, with its date
    console_tab(console, "people")
    people = console.locator(".wb-people-panel")
    people.locator(".wb-meeting-type select").select_option(label="Group follow-up meeting")
    people.locator(".wb-meeting-date input").fill(date.today().isoformat())
    people.locator(".wb-meeting-add").click()
    expect(people.locator(".wb-meeting-select select option")).to_have_text(
        [re.compile(r"^1\.\s+Group\s+follow-up\s+meeting")])
    people.locator(".wb-meeting-start").click()
    expect(people.locator(".wb-meeting-running")).to_contain_text("Group follow-up meeting")
    console_tab(console, "room")

    # 1. the open actions from the last meeting, overdue first, on phones and the projector
    next_step(console, ann, "tracking")
    for page in (ann, projector):
        actions = page.locator(".wb-group-followup .wb-open-action")
        expect(actions).to_have_count(2)
        expect(actions.first).to_have_class(re.compile("wb-overdue-action"))
        expect(actions.first.locator(".wb-open-action-text")).to_have_text("Merge the lists")

    # 2. progress reports: the template's time-box sets the timer
    next_step(console, ann, "progress")
    expect(projector.locator(".wb-countdown-clock")).to_have_text("60:00")
    form = ann.locator(".wb-progress-form")
    expect(form).to_be_visible()
    expect(form.locator(".wb-progress-action")).to_have_count(1)  # only her own action
    form.locator(".wb-progress-status select").select_option(label="Done")
    form.locator(".wb-progress-done textarea").fill("Merged all eight lists")
    form.locator(".wb-progress-problems textarea").fill("One section was late " + HOSTILE)
    form.locator(".wb-progress-help textarea").fill("A word from the convener")
    form.locator(".wb-progress-submit").click()
    expect(form.locator(".wb-progress-sent .wb-notice")).to_be_visible()

    form = ben.locator(".wb-progress-form")
    form.locator(".wb-progress-submit").click()  # nothing written: refused, nothing lost
    expect(form.locator(".wb-error")).to_be_visible()
    form.locator(".wb-progress-status select").select_option(label="Blocked")
    form.locator(".wb-progress-note input").fill("waiting for the export")
    form.locator(".wb-progress-done textarea").fill("Asked for the ticket data")
    form.locator(".wb-progress-submit").click()
    expect(form.locator(".wb-progress-sent .wb-notice")).to_be_visible()

    panel = projector.locator(".wb-group-followup")
    expect(panel.locator(".wb-report")).to_have_count(2)
    pages.shot(projector, "projector-progress")
    pages.shot(ann, "phone-progress")
    expect(panel.locator(".wb-report-count")).to_have_text("2 of 2 have reported")
    expect(panel.locator(".wb-report-problems")).to_contain_text(HOSTILE)  # shown as text
    console_tab(console, "followup")
    follow = console.locator(".wb-followup-panel")
    expect(follow.locator(".wb-followup-report")).to_have_count(2)
    expect(follow.locator(".wb-report-help")).to_contain_text(["A word from the convener", ""])
    open_rows = follow.locator(".wb-open-table .wb-open-action")
    expect(open_rows).to_have_count(1)  # Ann's is done; Ben's is blocked, with his note
    expect(open_rows.locator(".wb-open-action-note")).to_have_text("waiting for the export")
    console_tab(console, "room")

    # 3. group discussion: the forms step aside
    next_step(console, ann, "discussion")
    expect(ann.locator(".wb-progress-form")).to_be_hidden()
    expect(ann.locator(".wb-group-followup .wb-report")).to_have_count(0)

    # 4. the action plan, then 5. the review at the end
    next_step(console, ann, "canvas")
    next_step(console, ann, "review")
    for page, quality, own, idea in ((ann, 4, 5, "Start on time"), (ben, 3, 3, "Shorter reports")):
        review = page.locator(".wb-reflection-form")
        expect(review).to_be_visible()
        review.locator(".wb-reflection-quality button").nth(quality - 1).click()
        review.locator(".wb-reflection-own button").nth(own - 1).click()
        review.locator(".wb-reflection-improvement textarea").fill(idea)
        if page is ann:
            review.locator(".wb-reflection-lesson textarea").fill("Bring the figures " + HOSTILE)
        review.locator(".wb-reflection-submit").click()
        expect(review.locator(".wb-reflection-sent .wb-notice")).to_be_visible()
    expect(projector.locator(".wb-group-followup .wb-review-count")).to_have_text("Reviews: 2")
    expect(projector.locator(".wb-group-followup .wb-review-scores")).to_contain_text("3.5")
    pages.shot(ben, "phone-review")
    console_tab(console, "followup")
    expect(follow.locator(".wb-review-overall")).to_contain_text("Reviews: 2")
    expect(follow.locator(".wb-review-ideas li")).to_have_text(["Start on time", "Shorter reports"])
    expect(follow.locator(".wb-lessons-log .wb-lesson-text")).to_have_text(["Bring the figures " + HOSTILE])
    pages.shot(console, "console-followup")
    for page in (console, projector, ann, ben):
        assert page.evaluate("window.__pwned") is None

    # what was stored: statuses moved by the reports, with history
    with workbook(server) as wb:
        ws = wb.workshops.get(code)
        assert wb.store.find_card(mine.id).fields["status"] == "done"
        assert [(u.before, u.status) for u in wb.progress.history(ws, his.id)] == [
            (None, "not_started"), ("not_started", "blocked")]
        meeting = wb.meetings.meetings(ws)[0]
        assert meeting.held_on == date.today() and meeting.kind == "group_followup"
        assert len(wb.progress.reports(ws, meeting.id)) == 2
        assert wb.reflection.summary(ws, meeting.id).quality == 3.5
