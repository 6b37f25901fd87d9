"""The facilitator's controls of the room: steps, what a canvas allows, the timer, the
readiness prompt, rules, entry and theme; with keyboard shortcuts (see actionlab.js).

One class serves the console (full) and the projector (``compact``: the frequent actions
only, for a facilitator who drives from the projector screen).
"""

from __future__ import annotations

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.services.roomstate import HIDDEN, LOCKED, MODES, OPEN, PRIVATE
from actionlab.services.timer import MORE_SECONDS

from .common import MessageLine, button, esc, guarded, html_box, wb_classes
from .roomview import StepBanner, TimerDisplay
from .roomwatch import RoomWatch

#: key → the button it presses (docs/ui-contract.md lists them; actionlab.js reads data-keys).
SHORTCUTS = (
    ("→ / PageDown / N", "wb-room-next"),
    ("← / PageUp / P", "wb-room-prev"),
    ("Space / S", "wb-timer-toggle"),
    ("R", "wb-room-reveal"),
    ("+", "wb-timer-plus1"),
    ("L", "wb-rules-toggle"),
)


def shortcuts_html(_) -> str:
    labels = {
        "wb-room-next": _("next step"), "wb-room-prev": _("previous step"),
        "wb-timer-toggle": _("start or pause the timer"), "wb-room-reveal": _("reveal private writing"),
        "wb-timer-plus1": _("one more minute"), "wb-rules-toggle": _("show or hide the rules"),
    }
    rows = "".join(f'<li><kbd>{esc(keys)}</kbd> {esc(labels[cls])}</li>' for keys, cls in SHORTCUTS)
    return (f'<details class="wb-shortcuts-help"><summary>{esc(_("Keyboard shortcuts"))}</summary>'
            f'<ul>{rows}</ul></details>')


class RoomControls:
    def __init__(self, workbook: Workbook, room: RoomWatch, _, *, compact: bool = False):
        self.workbook = workbook
        self.room = room
        self._ = _
        self.compact = compact
        self.message = MessageLine(_)
        ws = room.workshop
        groups = workbook.workshops.groups(ws)
        self.scope = w.Dropdown(options=[(_("All groups"), 0)] + [(g.name, g.id) for g in groups],
                                value=0, layout=w.Layout(width="10em"),
                                **wb_classes("wb-room-scope"))
        self.scope.observe(lambda _c: self.refresh(), names="value")
        self.prev = button("◀ " + _("Previous step"), "wb-room-prev")
        self.next = button(_("Next step") + " ▶", "wb-room-next", style="primary")
        self.prev.on_click(lambda _b: self._act(workbook.room.move, -1, self.group_id))
        self.next.on_click(lambda _b: self._act(workbook.room.move, 1, self.group_id))
        self.step = w.Dropdown(options=[], layout=w.Layout(width="16em"),
                               **wb_classes("wb-room-step"))
        self.go = button(_("Go"), "wb-room-go")
        self.go.on_click(lambda _b: self._act(workbook.room.go, self.step.value, self.group_id))
        mode_titles = {OPEN: _("open"), LOCKED: _("locked"), HIDDEN: _("hidden"), PRIVATE: _("private writing")}
        self.mode = w.ToggleButtons(options=[(mode_titles[m], m) for m in MODES], value=OPEN,
                                    **wb_classes("wb-room-mode"))
        self._mode_guard = False
        self.mode.observe(self._mode_changed, names="value")
        self.reveal = button(_("Reveal"), "wb-room-reveal", style="warning")
        self.reveal.on_click(lambda _b: self._act(workbook.room.reveal_current))
        self.banner = StepBanner(workbook, room, _)
        self.timer = TimerDisplay(room, self.banner.title_of, _)  # the chime plays on the projector only
        self.minutes = w.BoundedIntText(value=10, min=1, max=240, layout=w.Layout(width="5em"),
                                        **wb_classes("wb-timer-minutes"))
        self.start = button(_("Start new time"), "wb-timer-start")
        self.start.on_click(lambda _b: self._act(workbook.timer.start, self.minutes.value * 60))
        self.toggle = button(_("Start / pause"), "wb-timer-toggle", style="primary")
        self.toggle.on_click(lambda _b: self._act(workbook.timer.toggle))
        self.plus1 = button("+1 " + _("min"), "wb-timer-plus1")
        self.plus1.on_click(lambda _b: self._act(workbook.timer.extend, 60))
        self.plus5 = button("+5 " + _("min"), "wb-timer-plus5")
        self.plus5.on_click(lambda _b: self._act(workbook.timer.extend, 300))
        self.sound = w.Checkbox(value=False, description=_("Chime at zero (projector)"), indent=False,
                                **wb_classes("wb-timer-sound"))
        self.sound.observe(lambda c: self._switch(workbook.room.set_sound, c["new"], "sound"), names="value")
        self.ask = button(_("Ask: ready?"), "wb-ready-ask")
        self.ask.on_click(lambda _b: self._act(workbook.timer.ask_ready, self.group_id))
        self.close = button(_("Close the question"), "wb-ready-close")
        self.close.on_click(lambda _b: self._act(workbook.timer.close_prompt))
        self.extend_more = button(_("Give 2 more minutes"), "wb-ready-extend")
        self.extend_more.on_click(lambda _b: self._act(workbook.timer.extend, MORE_SECONDS))
        self.counts = html_box("", "wb-ready-counts")
        self.rules = w.ToggleButton(value=False, description=_("Rules on screen"), layout=w.Layout(width="auto"),
                                    **wb_classes("wb-rules-toggle"))
        self.rules.observe(lambda c: self._switch(workbook.room.show_rules, c["new"], "rules"), names="value")
        self.entry = w.ToggleButton(value=False, description=_("Entry closed"), layout=w.Layout(width="auto"),
                                    **wb_classes("wb-entry-lock"))
        self.entry.observe(lambda c: self._switch(workbook.room.lock_entry, c["new"], "entry_locked"),
                           names="value")
        self.theme = w.ToggleButton(value=True, description=_("Dark projector"), layout=w.Layout(width="auto"),
                                    **wb_classes("wb-theme-toggle"))
        self.theme.observe(lambda c: self._switch(workbook.room.set_theme,
                                                  "dark" if c["new"] else "light", "theme"), names="value")
        keys = html_box(shortcuts_html(_), "wb-shortcuts")
        label = lambda text: html_box(f'<span class="wb-label">{esc(text)}</span>')  # noqa: E731
        if compact:
            rows = [w.HBox([self.prev, self.next, self.toggle, self.plus1, self.reveal,
                            self.rules]), keys]
            self.widget = w.VBox(rows + [self.message.widget],
                                 **wb_classes("wb-room-controls", "wb-room-controls-compact"))
        else:
            self.widget = w.VBox([
                self.banner.widget,
                w.HBox([label(_("Who moves")), self.scope, self.prev, self.next]),
                w.HBox([label(_("Jump to")), self.step, self.go]),
                w.HBox([label(_("This step's canvas")), self.mode, self.reveal]),
                html_box(f'<h4>{esc(_("Timer"))}</h4>'),
                self.timer.widget,
                w.HBox([self.toggle, self.plus1, self.plus5, label(_("New time (minutes)")),
                        self.minutes, self.start]),
                self.sound,
                html_box(f'<h4>{esc(_("Readiness"))}</h4>'),
                w.HBox([self.ask, self.close, self.extend_more]),
                self.counts,
                html_box(f'<h4>{esc(_("Room"))}</h4>'),
                w.HBox([self.rules, self.entry, self.theme]),
                keys,
                self.message.widget,
            ], **wb_classes("wb-room-controls"))
        self.refresh()

    @property
    def group_id(self) -> int | None:
        """The group the controls act on; None for all groups (a Dropdown cannot hold None)."""
        return self.scope.value or None

    # -- acting ------------------------------------------------------------------------------
    def _act(self, action, *args) -> None:
        done = guarded(self.message, action, self.room.workshop, *args)
        if done is not None:
            self.room.reload()
            self.refresh()

    def _switch(self, action, value, key: str) -> None:
        if self._mode_guard:
            return
        current = getattr(self.room.state, key)
        if current == value:
            return
        self._act(action, value)

    def _mode_changed(self, change) -> None:
        if self._mode_guard:
            return
        _index, step = self.workbook.room.current_step(self.room.workshop, self.group_id,
                                                      self.room.steps)
        if step is None or not step.canvas:
            self.message.notice(self._("This step has no canvas."))
            self.refresh()
            return
        self._act(self.workbook.room.set_mode, step.canvas, change["new"])

    # -- showing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        _ = self._
        state, ws = self.room.state, self.room.workshop
        self.banner.group_id = self.group_id
        self.banner.refresh()
        steps = self.banner.steps
        index, step = self.workbook.room.current_step(ws, self.group_id, steps)
        self._mode_guard = True
        try:
            options = [(f"{i + 1}. {self.workbook.room.step_title(s, ws.lang, _)}", i)
                       for i, s in enumerate(steps)]
            if list(self.step.options) != options:
                self.step.options = options
            self.step.value = index if steps else None
            self.mode.value = state.mode(step.canvas) if step and step.canvas else OPEN
            self.mode.disabled = not (step and step.canvas)
            self.reveal.disabled = not (step and step.canvas and state.mode(step.canvas) == PRIVATE)
            self.rules.value = state.rules
            self.entry.value = state.entry_locked
            self.theme.value = state.theme == "dark"
            self.sound.value = state.sound
        finally:
            self._mode_guard = False
        self._counts()
        self.timer.tick()

    def _counts(self) -> None:
        _ = self._
        state = self.room.state
        if not state.prompt_id:
            self.counts.value = ""
            return
        counts = self.workbook.timer.counts(self.room.workshop, state.prompt_id)
        groups = self.workbook.workshops.roster(self.room.workshop)
        rows = []
        for roster in groups:
            if state.prompt_group not in (None, roster.group.id):
                continue
            c = counts.by_group.get(roster.group.id, {})
            ready, more = c.get("ready", 0), c.get("more", 0)
            waiting = max(0, len(roster.members) - ready - more)
            rows.append(f'<tr class="wb-ready-row" data-group="{roster.group.number}"><th>{esc(roster.group.name)}</th>'
                        f'<td class="wb-ready-n">{esc(_("ready {n}", n=ready))}</td>'
                        f'<td class="wb-more-n">{esc(_("need more time {n}", n=more))}</td>'
                        f'<td class="wb-wait-n">{esc(_("no answer {n}", n=waiting))}</td></tr>')
        status = _("open") if state.prompt_open else _("closed")
        self.counts.value = (f'<div class="wb-ready-status">{esc(_("Readiness question"))} · {esc(status)}</div>'
                             f'<table class="wb-ready-table">{"".join(rows)}</table>')

    def on_changes(self, batch: ChangeBatch) -> None:
        room_changed = self.room.on_changes(batch)
        if room_changed or batch.touches("meeting"):
            self.refresh()
        elif batch.touches("prompt") or batch.touches("member"):
            self._counts()

    def tick(self) -> None:
        self.timer.tick()
