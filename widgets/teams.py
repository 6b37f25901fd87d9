"""The facilitator's teams panel (stage 2, form the teams): import a roster, place people in
groups, give roles and sub-tasks, see the checks, the roles' duties and each group's diversity.

The checks are warnings: the facilitator may ignore them. The console embeds ``.widget``,
subscribes ``on_changes`` to its live loop and calls ``refresh()`` when it wants."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.roster import PROFILE_FIELDS, RosterReport
from actionlab.services import Workbook
from actionlab.services.access import FACILITATOR
from actionlab.services.live import ChangeBatch
from actionlab.services.teams import DIVERSITY_FIELDS, NON_MEMBER_ROLES

from .common import MessageLine, button, esc, guarded, html_box, wb_classes

if TYPE_CHECKING:
    from actionlab.db.models import Group, Member, Workshop

NO_GROUP = 0  # dropdown value of "not in a group" (group ids start at 1)
CELL = w.Layout(width="7em")


def profile_labels(_) -> dict[str, str]:
    return {
        "unit": _("Unit"),
        "department": _("Department"),
        "profession": _("Profession"),
        "level": _("Level"),
        "gender": _("Gender"),
        "age_band": _("Age band"),
    }


def uploaded_file(value) -> tuple[bytes, str] | None:
    """The first file of a ``FileUpload`` value (ipywidgets 8: a tuple of dicts)."""
    if not value:
        return None
    first = value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))
    return bytes(first["content"]), str(first.get("name") or first.get("metadata", {}).get("name", ""))


class MemberRow:
    """One person: name, profile, group and role dropdowns, sub-task with its save button."""

    def __init__(self, panel: TeamsPanel, member: Member):
        _ = panel._
        self.panel = panel
        self.member_id = member.id
        self.dirty = False  # the facilitator is typing a sub-task: a refresh keeps it
        self.name = html_box("", "wb-roster-name")
        self.name.layout = w.Layout(width="9em")
        self.cells = {f: html_box("", "wb-roster-cell", f"wb-roster-{f}") for f in PROFILE_FIELDS}
        for cell in self.cells.values():
            cell.layout = CELL
        self.group = w.Dropdown(options=panel.group_options, layout=w.Layout(width="9em"),
                                **wb_classes("wb-member-group"))
        self.role = w.Dropdown(options=panel.role_options, layout=w.Layout(width="10em"),
                               **wb_classes("wb-member-role"))
        self.subtask = w.Text(placeholder=_("Sub-task"), layout=w.Layout(width="18em"),
                              **wb_classes("wb-member-subtask"))
        self.save = button(_("Save"), "wb-member-subtask-save")
        self.flag = html_box("", "wb-no-subtask-flag")
        self.group.observe(self._group_changed, names="value")
        self.role.observe(self._role_changed, names="value")
        self.subtask.observe(self._typed, names="value")
        self.save.on_click(lambda _b: self._save())
        self.widget = w.HBox([self.name, *self.cells.values(), self.group, self.role, self.subtask,
                              self.save, self.flag], **wb_classes("wb-roster-row"))
        self.show(member)

    def show(self, member: Member) -> None:
        panel = self.panel
        _ = panel._
        self.member = member
        waiting = (f' <span class="wb-roster-waiting" title="{esc(_("Has not joined from a device yet"))}">○</span>'
                   if member.token_hash is None else "")
        self.name.value = f"<b>{esc(member.name)}</b>{waiting}"
        for key, cell in self.cells.items():
            cell.value = esc(getattr(member, key) or "")
        with panel.quiet():
            if self.group.options != tuple(panel.group_options):
                self.group.options = panel.group_options
            self.group.value = member.group_id or NO_GROUP
            roles = panel.role_options
            if member.role not in {key for _label, key in roles}:
                roles = [*roles, (member.role, member.role)]
            if self.role.options != tuple(roles):
                self.role.options = roles
            self.role.value = member.role
            if not self.dirty:
                self.subtask.value = member.subtask or ""
        missing = not member.subtask and member.role not in NON_MEMBER_ROLES
        if missing:
            self.widget.add_class("wb-no-subtask")
            self.flag.value = f'<span>{esc(_("no sub-task yet"))}</span>'
        else:
            self.widget.remove_class("wb-no-subtask")
            self.flag.value = ""

    # -- the facilitator's changes -------------------------------------------------------
    def _group_changed(self, change) -> None:
        if self.panel.is_quiet:
            return
        value = change["new"]
        self.panel.change(self.panel.teams.assign, self.panel.workshop, self.member_id,
                          None if value in (NO_GROUP, None) else value)

    def _role_changed(self, change) -> None:
        if self.panel.is_quiet or change["new"] is None:
            return
        self.panel.change(self.panel.teams.set_role, self.panel.workshop, self.member_id,
                          change["new"])

    def _typed(self, _change) -> None:
        if not self.panel.is_quiet:
            self.dirty = True

    def _save(self) -> None:
        panel = self.panel
        done = panel.change(panel.teams.set_subtask, FACILITATOR, panel.workshop, self.member_id,
                            self.subtask.value)
        if done is not None:
            self.dirty = False
            self.show(done)


class TeamsPanel:
    def __init__(self, workbook: Workbook, workshop: Workshop, _):
        self.workbook = workbook
        self.teams = workbook.teams
        self.workshop = workshop
        self.lang = workshop.lang
        self._ = _
        self._quiet = 0
        self._chart_key: object = None
        self.message = MessageLine(_)
        self.group_options: list[tuple[str, int]] = []
        self.role_options = [(item.title(self.lang), item.key) for item in self.teams.roles()]
        self.rows: dict[int, MemberRow] = {}

        # -- import ----------------------------------------------------------------------
        self.upload = w.FileUpload(accept=".csv,.xlsx", multiple=False,
                                   description=_("Choose roster file"),
                                   **wb_classes("wb-roster-upload"))
        self.import_button = button(_("Import roster"), "wb-roster-import", style="primary")
        self.import_button.on_click(lambda _b: self.import_upload())
        self.report = html_box("", "wb-roster-report")
        labels = profile_labels(_)
        hint = _("A CSV or XLSX file, one person a row, with the column titles in the first row: {columns}, and optionally group (number or name) and role. Chinese titles such as 姓名 and 部门 work too.",
                 columns=("、" if self.lang == "zh" else ", ").join(
                     [_("Name"), *(labels[f] for f in PROFILE_FIELDS)]))
        importer = w.VBox([
            html_box(f'<h4>{esc(_("Import a roster"))}</h4>'
                     f'<div class="wb-teams-hint">{esc(hint)}</div>'),
            w.HBox([self.upload, self.import_button]),
            self.report,
        ], **wb_classes("wb-roster-importer"))

        # -- the roster ------------------------------------------------------------------
        head = [html_box(f"<b>{esc(_('Name'))}</b>")]
        head[0].layout = w.Layout(width="9em")
        for f in PROFILE_FIELDS:
            cell = html_box(f"<b>{esc(labels[f])}</b>")
            cell.layout = CELL
            head.append(cell)
        for text, width in ((_("Group"), "9em"), (_("Role"), "10em"), (_("Sub-task"), "18em")):
            cell = html_box(f"<b>{esc(text)}</b>")
            cell.layout = w.Layout(width=width)
            head.append(cell)
        self.empty = html_box("", "wb-roster-empty")
        self.rows_box = w.VBox([], **wb_classes("wb-roster-rows"))

        # -- checks, roles, diversity ----------------------------------------------------
        self.checks = html_box("", "wb-team-checks")
        self.duties = html_box(self._duties(), "wb-role-duties")
        self.chart = html_box("", "wb-diversity-chart")

        self.widget = w.VBox([
            html_box(f'<h3>{esc(_("Teams"))}</h3>'),
            importer,
            self.message.widget,
            html_box(f'<h4>{esc(_("Roster"))}</h4>'),
            w.HBox(head, **wb_classes("wb-roster-head")),
            self.empty,
            self.rows_box,
            html_box(f'<h4>{esc(_("Checks"))}</h4>'
                     f'<div class="wb-teams-hint">{esc(_("Warnings only: you may go ahead anyway."))}</div>'),
            self.checks,
            html_box(f'<h4>{esc(_("Diversity of the groups"))}</h4>'),
            self.chart,
            html_box(f'<h4>{esc(_("The roles and their duties"))}</h4>'),
            self.duties,
        ], **wb_classes("wb-teams"))
        self.refresh()

    # -- helpers for the rows ------------------------------------------------------------
    class _Quiet:
        def __init__(self, panel: TeamsPanel):
            self.panel = panel

        def __enter__(self):
            self.panel._quiet += 1

        def __exit__(self, *_exc):
            self.panel._quiet -= 1

    def quiet(self) -> TeamsPanel._Quiet:
        """Set widget values without treating them as the facilitator's changes."""
        return TeamsPanel._Quiet(self)

    @property
    def is_quiet(self) -> bool:
        return self._quiet > 0

    def change(self, action, *args):
        """Run a change; on a refusal show why and put the row back as stored."""
        result = guarded(self.message, action, *args)
        self.refresh()
        return result

    # -- import --------------------------------------------------------------------------
    def import_upload(self) -> RosterReport | None:
        """Import the file chosen in the upload widget."""
        chosen = uploaded_file(self.upload.value)
        if chosen is None:
            self.report.value = ""
            self.message.notice(self._("Choose a roster file first."))
            return None
        return self.import_file(*chosen)

    def import_file(self, data: bytes, filename: str) -> RosterReport | None:
        """Import a roster file; every row in or none, with a per-row report of problems."""
        _ = self._
        report = guarded(self.message, self.teams.import_roster, self.workshop, data, filename)
        if report is None:
            self.report.value = ""
            return None
        if report.problems:
            self.report.value = self._report_html(report)
        else:
            self.report.value = (
                f'<div class="wb-notice wb-roster-imported">'
                f'{esc(_("Roster imported from {file}: {n} added.", file=report.filename, n=report.imported))}'
                f'</div>')
            with self.quiet():
                self.upload.value = ()
            self.refresh()
        return report

    def _report_html(self, report: RosterReport) -> str:
        _ = self._
        rows = "".join(
            f'<tr class="wb-roster-problem"><td>{p.row}</td><td>{esc(p.column)}</td>'
            f'<td>{esc(p.translated(_))}</td></tr>'
            for p in report.problems
        )
        summary = _("Nobody was imported from {file}. Fix the problems above ({n}) and try again.",
                    file=report.filename, n=len(report.problems))
        return (
            f'<table class="wb-roster-problems"><thead><tr><th>{esc(_("Row"))}</th>'
            f'<th>{esc(_("Column"))}</th><th>{esc(_("Problem"))}</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>'
            f'<div class="wb-error" role="alert">{esc(summary)}</div>'
        )

    # -- showing -------------------------------------------------------------------------
    def _duties(self) -> str:
        items = "".join(
            f'<div class="wb-role wb-role-{esc(item.key)}"><dt>{esc(item.title(self.lang))}</dt>'
            f'<dd>{esc(item.body(self.lang))}</dd></div>'
            for item in self.teams.roles()
        )
        return f'<dl class="wb-role-list">{items}</dl>'

    def _checks(self) -> str:
        _ = self._
        found = self.teams.checks(self.workshop)
        if not found:
            return f'<div class="wb-team-checks-ok">{esc(_("Nothing to look at: the teams look fine."))}</div>'
        items = "".join(f'<li class="wb-team-check">{esc(c.translated(_))}</li>' for c in found)
        return f'<ul class="wb-team-check-list">{items}</ul>'

    def _diversity(self, groups: list[Group]) -> str:
        _ = self._
        counts = self.teams.diversity(self.workshop)
        data = {
            g.name: counts[g.id] for g in groups if g.id in counts  # "" counts as "not given"
        }
        key = repr(data)
        if key == self._chart_key:
            return self.chart.value  # drawing takes a while: only when the counts change
        if not data:
            html = f'<div class="wb-empty">{esc(_("Nobody is in a group yet."))}</div>'
        else:
            from actionlab.charts import diversity_bars, to_data_uri

            labels = {f: profile_labels(_)[f] for f in DIVERSITY_FIELDS}
            png = diversity_bars(data, labels, self.lang)
            alt = esc(_("Diversity of the groups"))
            html = f'<img class="wb-diversity-img" alt="{alt}" src="{to_data_uri(png)}">'
        self._chart_key = key
        return html

    def refresh(self) -> None:
        _ = self._
        groups = self.workbook.workshops.groups(self.workshop)
        self.group_options = [(_("not in a group"), NO_GROUP), *((g.name, g.id) for g in groups)]
        members = self.workbook.workshops.members(self.workshop)
        current = {m.id for m in members}
        for member_id in [i for i in self.rows if i not in current]:
            self.rows.pop(member_id).widget.close()
        for member in members:
            row = self.rows.get(member.id)
            if row is None:
                self.rows[member.id] = MemberRow(self, member)
            else:
                row.show(member)
        children = tuple(self.rows[m.id].widget for m in members)
        if self.rows_box.children != children:
            self.rows_box.children = children
        self.empty.value = ("" if members else
                            f'<div class="wb-empty">{esc(_("Nobody on the roster yet."))}</div>')
        self.checks.value = self._checks()
        self.chart.value = self._diversity(groups)

    def on_changes(self, batch: ChangeBatch) -> None:
        if batch.touches("member"):
            self.refresh()
