"""Equal-time speaking rounds: the controls for one group's round (the facilitator's console,
or the group leader's phone) and the airtime table that shows whether time was shared fairly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.services.live import ChangeBatch
from actionlab.services.roomstate import clock
from actionlab.services.speaking import SKIP_REASONS

from .common import MessageLine, button, esc, guarded, html_box, wb_classes
from .roomview import QueueDisplay
from .roomwatch import RoomWatch

if TYPE_CHECKING:
    from actionlab.db.models import Group


class RoundControl:
    """One group's round: set it up, start and pause a turn, pass on, skip with a reason."""

    def __init__(self, workbook: Workbook, room: RoomWatch, group: Group, author: Author, names, _):
        self.workbook = workbook
        self.room = room
        self.group = group
        self.author = author
        self._ = _
        self.message = MessageLine(_)
        self.display = QueueDisplay(workbook, room, group.id, names, _)
        self.seconds = w.BoundedIntText(value=120, min=15, max=1800, step=15,
                                        layout=w.Layout(width="6em"),
                                        **wb_classes("wb-round-seconds"))
        self.shuffle = w.Checkbox(value=False, description=_("Random order"), indent=False,
                                  layout=w.Layout(width="auto"), **wb_classes("wb-round-shuffle"))
        self.setup = button(_("New round"), "wb-round-setup")
        self.setup.on_click(lambda _b: self._act(workbook.speaking.setup, self.seconds.value,
                                                 shuffle=self.shuffle.value))
        self.start = button(_("Start turn"), "wb-round-start", style="primary")
        self.start.on_click(lambda _b: self._act(workbook.speaking.start_turn))
        self.pause = button(_("Pause"), "wb-round-pause")
        self.pause.on_click(lambda _b: self._act(workbook.speaking.pause_turn))
        self.next = button(_("Next speaker"), "wb-round-next", style="success")
        self.next.on_click(lambda _b: self._act(workbook.speaking.next))
        self.reason = w.Dropdown(options=[(_(t), k) for k, t in SKIP_REASONS.items()
                                          if k in ("passed", "absent")],
                                 value="passed", layout=w.Layout(width="10em"),
                                 **wb_classes("wb-round-skip-reason"))
        self.skip = button(_("Skip"), "wb-round-skip")
        self.skip.on_click(lambda _b: self._act(workbook.speaking.next, reason=self.reason.value))
        self.end = button(_("End round"), "wb-round-end", style="danger")
        self.end.on_click(lambda _b: self._act(workbook.speaking.end))
        self.seconds_label = html_box(f'<span class="wb-label">{esc(_("Seconds each"))}</span>')
        self.widget = w.VBox([
            self.display.widget,
            w.HBox([self.start, self.pause, self.next, self.reason, self.skip, self.end],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.seconds_label, self.seconds, self.shuffle, self.setup],
                   layout=w.Layout(flex_flow="row wrap")),
            self.message.widget,
        ], **wb_classes("wb-round", f"wb-round-group-{group.number}"))
        self.refresh()

    def _act(self, action, *args, **kwargs) -> None:
        if guarded(self.message, action, self.author, self.room.workshop, self.group.id,
                   *args, **kwargs) is not None:
            self.room.reload()
            self.refresh()

    def refresh(self) -> None:
        queue = self.room.state.queue(self.group.id)
        going = queue is not None and not queue.done
        for b in (self.start, self.pause, self.next, self.skip, self.reason):
            b.disabled = not going
        self.end.disabled = queue is None
        self.pause.disabled = not (going and queue.turn.running)
        self.start.disabled = not going or queue.turn.running
        self.display.tick()

    def tick(self) -> None:
        self.display.tick()


def airtime_html(workbook: Workbook, workshop, _, group_id: int | None = None) -> str:
    """Speaking time per person, this meeting and in all meetings, with each one's share of
    the group's time as a bar (plain HTML: also on phones)."""
    meeting = workbook.meetings.current(workshop)
    total = workbook.speaking.airtime(workshop, group_id)
    now = {a.member_id: a for a in workbook.speaking.airtime(workshop, group_id, meeting.id)} if meeting else {}
    groups = {m.id: m.group_id for m in workbook.workshops.members(workshop)}
    names = {g.id: g.name for g in workbook.workshops.groups(workshop)}
    by_group: dict = {}
    for a in total:
        by_group.setdefault(groups.get(a.member_id), []).append(a)
    out = []
    for gid, rows in by_group.items():
        top = max([r.spoken for r in rows] + [1])
        lines = []
        for r in rows:
            this = now.get(r.member_id)
            width = round(100 * r.spoken / top)
            lines.append(
                f'<tr class="wb-airtime-row"><th>{esc(r.name)}</th>'
                f'<td class="wb-airtime-meeting">{esc(clock(this.spoken) if this else "0:00")}</td>'
                f'<td class="wb-airtime-total">{esc(clock(r.spoken))}</td>'
                f'<td class="wb-airtime-turns">{r.turns}</td><td class="wb-airtime-skipped">{r.skipped}</td>'
                f'<td class="wb-airtime-bar"><span style="width:{width}%"></span></td></tr>')
        out.append(
            f'<table class="wb-airtime-table" data-group="{esc(names.get(gid, ""))}">'
            f'<caption>{esc(names.get(gid, _("not in a group")))}</caption>'
            f'<tr><th></th><th>{esc(_("This meeting"))}</th><th>{esc(_("All meetings"))}</th>'
            f'<th>{esc(_("Turns"))}</th><th>{esc(_("Skipped"))}</th><th></th></tr>{"".join(lines)}</table>')
    return "".join(out) or f'<div class="wb-empty">{esc(_("Nobody has spoken in a round yet."))}</div>'


class RoundsPanel:
    """The console's speaking tab: every group's round side by side, and the airtime."""

    def __init__(self, workbook: Workbook, room: RoomWatch, names, _):
        from actionlab.services.canvas import FACILITATOR_AUTHOR

        self.workbook = workbook
        self.room = room
        self._ = _
        self.controls = []
        for group in workbook.workshops.groups(room.workshop):
            control = RoundControl(workbook, room, group, FACILITATOR_AUTHOR, names, _)
            self.controls.append(control)
        self.airtime = html_box("", "wb-airtime")
        self.widget = w.VBox([
            w.Box([w.VBox([html_box(f'<div class="wb-group-name">{esc(c.group.name)}</div>'),
                           c.widget], **wb_classes("wb-round-panel")) for c in self.controls],
                  **wb_classes("wb-rounds-grid")),
            html_box(f'<h4>{esc(_("Speaking time (fairness)"))}</h4>'),
            self.airtime,
        ], **wb_classes("wb-rounds"))
        self.refresh_airtime()

    def refresh_airtime(self) -> None:
        self.airtime.value = airtime_html(self.workbook, self.room.workshop, self._)

    def on_changes(self, batch: ChangeBatch) -> None:
        if self.room.on_changes(batch):
            for c in self.controls:
                c.refresh()
            if any(ch.action in ("round.next", "round.end", "meeting.start") for ch in batch.changes):
                self.refresh_airtime()
        elif batch.touches("member"):
            self.refresh_airtime()

    def tick(self) -> None:
        for c in self.controls:
            c.tick()
