"""The console's meeting and people tab: choose, add, start and end a meeting; take
attendance; see who is connected; move people between groups."""

from __future__ import annotations

import time

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.services.meetings import STATUS_TITLES, STATUSES

from .cardform import _set_options
from .common import MessageLine, button, esc, guarded, html_box, local_time, wb_classes
from .roomwatch import RoomWatch

PRESENCE_EVERY = 5.0  # seconds between presence checks on the console


class PersonRow:
    def __init__(self, panel: PeoplePanel, member_id: int):
        _ = panel._
        self.panel = panel
        self.member_id = member_id
        self.name = html_box("", "wb-person-name")
        self.group = w.Dropdown(options=panel.group_options, layout=w.Layout(width="14em"),
                                **wb_classes("wb-move-group"))
        self.status = w.Dropdown(options=[("—", "")] + [(_(STATUS_TITLES[s]), s) for s in STATUSES],
                                 layout=w.Layout(width="8em"), **wb_classes("wb-attendance-status"))
        self._guard = False
        self.group.observe(self._moved, names="value")
        self.status.observe(self._marked, names="value")
        self.widget = w.HBox([self.name, self.group, self.status], **wb_classes("wb-person"))

    def show(self, member, status, connected: bool) -> None:
        _ = self.panel._
        dot = "wb-online" if connected else ("wb-offline" if member.token_hash else "wb-no-device")
        tip = (_("connected") if connected else _("not connected") if member.token_hash
               else _("no device"))
        self.name.value = (f'<span class="wb-presence {dot}" title="{esc(tip)}"></span>'
                           f'<span class="wb-person-label">{esc(member.name)}</span>'
                           f'<span class="wb-presence-text">{esc(tip)}</span>')
        self._guard = True
        try:
            self.group.value = member.group_id or 0
            self.status.value = status or ""
        finally:
            self._guard = False

    def _moved(self, change) -> None:
        if not self._guard:
            self.panel.act(self.panel.workbook.teams.assign, self.member_id, change["new"] or None)

    def _marked(self, change) -> None:
        if not self._guard:
            self.panel.act(self.panel.workbook.meetings.mark, self.member_id, change["new"] or None)


class PeoplePanel:
    def __init__(self, workbook: Workbook, room: RoomWatch, _):
        self.workbook = workbook
        self.room = room
        self._ = _
        self.message = MessageLine(_)
        ws = room.workshop
        self.group_options = [(_("no group"), 0)] + [(g.name, g.id) for g in workbook.workshops.groups(ws)]
        self.meeting = w.Dropdown(options=[], layout=w.Layout(width="20em"),
                                  **wb_classes("wb-meeting-select"))
        self.title = w.Text(placeholder=_("Title of a new meeting"), layout=w.Layout(width="20em"),
                            **wb_classes("wb-meeting-title"))
        types = workbook.meetings.types()
        self.kind = w.Dropdown(options=[(t.title(ws.lang), t.key) for t in types]
                               + [(_("Free agenda (all canvases)"), "workshop")],
                               value=types[0].key if types else "workshop",
                               layout=w.Layout(width="16em"), **wb_classes("wb-meeting-type"))
        self.date = w.DatePicker(layout=w.Layout(width="11em"), **wb_classes("wb-meeting-date"))
        self.add = button(_("Add meeting"), "wb-meeting-add")
        self.add.on_click(lambda _b: self._add())
        self.start = button(_("Start this meeting"), "wb-meeting-start", style="primary")
        self.start.on_click(lambda _b: self.act(workbook.meetings.start, self.meeting.value))
        self.end = button(_("End the meeting"), "wb-meeting-end")
        self.end.on_click(lambda _b: self.act(workbook.meetings.end))
        self.status = html_box("", "wb-meeting-status")
        self.connected = button(_("Mark everyone connected as present"), "wb-attendance-connected")
        self.connected.on_click(lambda _b: self.act(workbook.meetings.mark_connected_present))
        self.rows: dict[int, PersonRow] = {}
        self.table = w.VBox([], **wb_classes("wb-people"))
        self.widget = w.VBox([
            html_box(f'<h4>{esc(_("Meetings"))}</h4>'),
            w.HBox([self.meeting, self.start, self.end]),
            w.HBox([self.kind, self.title, self.date, self.add]),
            self.status,
            html_box(f'<h4>{esc(_("People: connected, attendance, group"))}</h4>'),
            self.connected,
            self.message.widget,
            self.table,
        ], **wb_classes("wb-people-panel"))
        self._last_presence = 0.0
        self.refresh_meetings()
        self.refresh_people()

    def act(self, action, *args) -> None:
        if guarded(self.message, action, self.room.workshop, *args) is not None:
            self.room.reload()
            self.refresh_meetings()
            self.refresh_people()

    def _add(self) -> None:
        meeting = guarded(self.message, self.workbook.meetings.add, self.room.workshop,
                          self.title.value, kind=self.kind.value, held_on=self.date.value)
        if meeting is not None:
            self.title.value = ""
            self.date.value = None
            self.refresh_meetings(select=meeting.id)

    def refresh_meetings(self, select: int | None = None) -> None:
        _ = self._
        meetings = self.workbook.meetings.meetings(self.room.workshop)
        current = self.room.state.meeting_id
        options = [(f"{m.number}. {m.title}" + (f" · {_('running')}" if m.id == current else ""), m.id)
                   for m in meetings]
        wanted = select or self.meeting.value or current or (meetings[-1].id if meetings else None)
        _set_options(self.meeting, options)
        if wanted in {v for _l, v in options}:
            self.meeting.value = wanted
        running = next((m for m in meetings if m.id == current), None)
        self.end.disabled = running is None
        if running is None:
            self.status.value = f'<div class="wb-meeting-idle">{esc(_("No meeting is running."))}</div>'
        else:
            self.status.value = (f'<div class="wb-meeting-running">{esc(_("Running: {title}, since {time}", title=running.title, time=local_time(running.started_at)))}</div>')

    def refresh_people(self) -> None:
        ws = self.room.workshop
        meeting = self.workbook.meetings.current(ws)
        if meeting is not None:
            rows = self.workbook.meetings.attendance(ws, meeting)
            people = [(r.member, r.status, r.connected) for r in rows]
        else:
            members = self.workbook.workshops.members(ws)
            online = self.workbook.meetings.connected(members)
            people = [(m, None, m.id in online) for m in members]
        self.connected.disabled = meeting is None
        children = []
        for member, status, connected in sorted(people, key=lambda p: (p[0].group_id or 0, p[0].id)):
            row = self.rows.get(member.id)
            if row is None:
                row = self.rows[member.id] = PersonRow(self, member.id)
            row.status.disabled = meeting is None
            row.show(member, status, connected)
            children.append(row.widget)
        for gone in set(self.rows) - {p[0].id for p in people}:
            del self.rows[gone]
        if tuple(children) != self.table.children:
            self.table.children = tuple(children)
        self._last_presence = time.monotonic()

    def on_changes(self, batch: ChangeBatch) -> None:
        room = self.room.on_changes(batch)
        if batch.touches("meeting") or room:
            self.refresh_meetings()
        if room or batch.touches("member") or batch.touches("attendance"):
            self.refresh_people()

    def tick(self) -> None:
        if time.monotonic() - self._last_presence >= PRESENCE_EVERY:
            self.refresh_people()
