"""Forming the teams in a real browser: the facilitator uploads a roster, fixes a bad file,
places people and gives roles; a person on the roster joins from a phone as themselves."""

from __future__ import annotations

import re

import pytest
from openpyxl import Workbook as XlsxBook
from playwright.sync_api import expect

from tests.ui.room import console_tab, create_workshop, join

pytestmark = pytest.mark.ui


def xlsx(path, rows):
    book = XlsxBook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def upload(page, teams, path) -> None:
    """Choose ``path`` with the upload button, as a person does, and import it."""
    with page.expect_file_chooser() as chooser:
        teams.locator(".wb-roster-upload").click()
    chooser.value.set_files(str(path))
    teams.locator(".wb-roster-import").click()


def test_roster_upload_groups_roles_subtasks_and_joining(pages, server, tmp_path):
    console, code = create_workshop(pages, server, "Teams test")
    console_tab(console, "teams")
    teams = console.locator(".wb-teams")
    expect(teams).to_be_visible()
    pages.shot(console, "console-teams-empty")
    expect(teams.locator(".wb-roster-empty")).to_contain_text("Nobody")
    expect(teams.locator(".wb-role")).to_have_count(7)  # the seven roles with their duties

    # A file with a bad row: a clear per-row report, and nobody is imported.
    bad = xlsx(tmp_path / "bad.xlsx", [
        ["姓名", "部门", "职级", "性别", "小组"],
        ["Ada Field", "Planning", "Officer", "F", 1],
        ["", "Finance", "Officer", "M", 1],
        ["Bo Grant", "Finance", "Head", "M", 7],
    ])
    upload(console, teams, bad)
    problems = teams.locator(".wb-roster-report .wb-roster-problem")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("3")  # the row number as the file shows it
    expect(problems.nth(1)).to_contain_text("7")
    expect(teams.locator(".wb-roster-row")).to_have_count(0)

    # The corrected file goes in whole.
    good = xlsx(tmp_path / "good.xlsx", [
        ["姓名", "部门", "职级", "性别", "小组"],
        ["Ada Field", "Planning", "Officer", "F", 1],
        ["Cai Dong", "Finance", "Officer", "M", 1],
        ["Bo Grant", "Finance", "Head", "M", 2],
        ["Eve <b>Hart</b>", "Audit", "Officer", "F", ""],
    ])
    upload(console, teams, good)
    expect(teams.locator(".wb-roster-imported")).to_be_visible()
    rows = teams.locator(".wb-roster-row")
    expect(rows).to_have_count(4)
    expect(teams.locator(".wb-roster-name", has_text="Eve <b>Hart</b>")).to_have_count(1)
    expect(teams.locator(".wb-team-check", has_text="Not in a group yet")).to_have_count(1)
    expect(teams.locator(".wb-diversity-img")).to_be_visible()

    # Place Eve in group 1 and make Ada the group leader; give Cai a sub-task.
    eve = rows.filter(has_text="Eve <b>Hart</b>")
    eve.locator(".wb-member-group select").select_option(label="Group 1")
    expect(teams.locator(".wb-team-check", has_text="Not in a group yet")).to_have_count(0)
    ada = rows.filter(has_text="Ada Field")
    expect(ada.locator(".wb-roster-waiting")).to_have_count(1)  # no device yet
    expect(teams.locator(".wb-team-check", has_text="Group 1 has no group leader")).to_have_count(1)
    ada.locator(".wb-member-role select").select_option(label="Group leader")
    expect(teams.locator(".wb-team-check", has_text="Group 1 has no group leader")).to_have_count(0)
    cai = rows.filter(has_text="Cai Dong")
    cai.locator(".wb-member-subtask input").fill("Budget rules")
    cai.locator(".wb-member-subtask-save").click()
    expect(cai).not_to_have_class(re.compile(r"\bwb-no-subtask\b"))
    expect(ada).to_have_class(re.compile(r"\bwb-no-subtask\b"))
    pages.shot(console, "console-teams")

    # Ada joins from her phone with her name: she is the roster's Ada, group leader.
    phone = join(pages, server, code, 0, "Ada Field")
    phone.locator(".wb-my-subtask input").fill("Planning rules")
    phone.locator(".wb-my-subtask-save").click()
    expect(rows).to_have_count(4)  # no second Ada
    expect(ada.locator(".wb-roster-waiting")).to_have_count(0)
    expect(ada).not_to_have_class(re.compile(r"\bwb-no-subtask\b"))
    # typed markup stays text: no <b> element was made from Eve's name
    assert console.evaluate(
        "[...document.querySelectorAll('.wb-teams b')].filter(b => b.textContent === 'Hart')"
        ".length") == 0
