"""The facilitator's teams panel without a browser, against a real SQLite store."""

from __future__ import annotations

from datetime import datetime, timezone

import ipywidgets as w
import pytest

from actionlab.i18n import translator
from actionlab.services.canvas import FACILITATOR_AUTHOR
from widgets.live import LiveLoop
from widgets.teams import NO_GROUP, TeamsPanel

ROSTER = (
    "name,unit,department,profession,level,gender,age band,group,role\n"
    "Mei Fang,North Works,Planning,Engineer,Section,F,30-39,1,group leader\n"
    "Tom Reyes,North Works,Finance,Accountant,Staff,M,40-49,1,\n"
    "Ana Diaz,South Depot,Service,Nurse,Staff,F,20-29,2,\n"
    "<img src=x onerror=1>,<script>alert(1)</script>,,,,,,,\n"
)



@pytest.fixture
def quick_chart(monkeypatch):
    """Drawing is tested once (the real chart); other tests count the calls instead."""
    import actionlab.charts

    calls = []
    monkeypatch.setattr(actionlab.charts, "diversity_bars",
                        lambda *args, **kw: calls.append(args) or b"\x89PNG")
    return calls


def html_values(widget) -> list[str]:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out.extend(html_values(child))
    return out


def row_of(panel, wb, ws, name):
    member = next(m for m in wb.workshops.members(ws) if m.name == name)
    return member, panel.rows[member.id]


def test_import_assign_role_and_subtask(wb, quick_chart):
    ws = wb.workshops.create("Teams", "en", 2)
    g1, g2 = wb.workshops.groups(ws)
    panel = TeamsPanel(wb, ws, translator("en"))
    assert "wb-teams" in panel.widget._dom_classes and panel.rows == {}
    assert "Nobody on the roster yet." in panel.empty.value

    report = panel.import_file(ROSTER.encode("utf-8"), "roster.csv")
    assert report.imported == 4
    assert "4 added" in panel.report.value
    assert len(panel.rows) == len(panel.rows_box.children) == 4 and panel.empty.value == ""
    values = "".join(html_values(panel.widget))
    assert "<img src=x" not in values and "<script" not in values
    assert "&lt;img src=x onerror=1&gt;" in values

    mei, row = row_of(panel, wb, ws, "Mei Fang")
    assert row.group.value == g1.id and row.role.value == "group_leader"
    assert dict(row.group.options)["not in a group"] == NO_GROUP
    assert ("Group leader", "group_leader") in row.role.options
    assert "wb-roster-row" in row.widget._dom_classes

    row.group.value = g2.id  # the facilitator moves Mei to group 2
    assert wb.store.find_member(mei.id).group_id == g2.id
    row.group.value = NO_GROUP
    assert wb.store.find_member(mei.id).group_id is None
    assert "Not in a group yet: Mei Fang" in panel.checks.value
    drawn = len(quick_chart)
    row.role.value = "liaison"
    assert wb.store.find_member(mei.id).role == "liaison"
    assert len(quick_chart) == drawn  # the groups' make-up did not change: no new chart

    assert "wb-no-subtask" in row.widget._dom_classes and "no sub-task yet" in row.flag.value
    row.subtask.value = "Survey the residents"
    panel.refresh()  # a refresh keeps what is being typed
    assert row.subtask.value == "Survey the residents"
    row.save.click()
    assert wb.store.find_member(mei.id).subtask == "Survey the residents"
    assert "wb-no-subtask" not in row.widget._dom_classes and row.flag.value == ""


def test_bad_file_shows_the_report_and_imports_nobody(wb):
    ws = wb.workshops.create("Bad", "en", 1)
    panel = TeamsPanel(wb, ws, translator("en"))
    data = b"name,group,role\n<b>Bo</b>,9,\nCy,1,boss\n"
    report = panel.import_file(data, "bad<x>.csv")
    assert report.imported == 0 and len(report.problems) == 2
    assert 'class="wb-roster-problems"' in panel.report.value
    assert "There is no group 9 in this workshop." in panel.report.value
    assert "boss is not one of the roles." in panel.report.value
    assert "<td>2</td><td>group</td>" in panel.report.value and "<td>3</td><td>role</td>" in panel.report.value
    assert "bad&lt;x&gt;.csv" in panel.report.value and "<x>" not in panel.report.value
    assert wb.workshops.members(ws) == [] and panel.rows == {}

    assert panel.import_file(b"\x00\x01\x02binary", "x.csv") is None  # unreadable: a clear message
    assert "not a CSV or XLSX" in panel.message.widget.value and panel.report.value == ""


def test_upload_widget_and_import_button(wb, quick_chart):
    ws = wb.workshops.create("Upload", "zh", 2)
    panel = TeamsPanel(wb, ws, translator("zh"))
    assert panel.upload.accept == ".csv,.xlsx"
    panel.import_button.click()  # nothing chosen
    assert "请先选择名单文件" in panel.message.widget.value
    data = "姓名,组,角色\n林晓,1,组长\n王浩,2,\n".encode("gbk")
    panel.upload.value = ({"name": "名单.csv", "type": "text/csv", "size": len(data),
                           "content": memoryview(data),
                           "last_modified": datetime.now(timezone.utc)},)
    panel.import_button.click()
    assert {m.name for m in wb.workshops.members(ws)} == {"林晓", "王浩"}
    assert panel.upload.value == ()  # cleared after a good import
    _m, row = row_of(panel, wb, ws, "林晓")
    assert ("分课题组组长", "group_leader") in row.role.options  # titles in the workshop language
    assert "学员" in dict(row.role.options).keys()


def test_checks_duties_chart_and_live_refresh(wb):
    ws = wb.workshops.create("Live", "en", 2)
    g1, _g2 = wb.workshops.groups(ws)
    panel = TeamsPanel(wb, ws, translator("en"))
    assert "Nobody is in a group yet." in panel.chart.value
    for item in wb.teams.roles():
        assert item.title("en") in panel.duties.value
    assert "wb-role-duties" in panel.duties._dom_classes

    loop = LiveLoop(wb.feed(ws.id))
    loop.subscribe(panel.on_changes)
    wb.teams.import_roster(ws, ROSTER.encode(), "r.csv")
    wb.workshops.join(ws.code, g1.id, "Newcomer")
    assert loop.tick()
    assert len(panel.rows) == 5
    checks = panel.checks.value
    assert "Group 1 has 3 members; a group works best with 4 to 8." in checks
    assert "Group 2 has no group leader yet." in checks
    assert '<img class="wb-diversity-img"' in panel.chart.value
    assert panel.chart.value.count("data:image/png;base64,") == 1

    refreshed = []
    panel.refresh = lambda: refreshed.append(True)
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g1.id, "restructure", "symptoms", "a card")
    loop.tick()
    assert refreshed == []  # a card is not about members: no refresh
