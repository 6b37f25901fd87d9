"""The projector page: every group's canvas side by side, live, with the join code and QR."""

from __future__ import annotations

import ipywidgets as w

from actionlab.i18n import translator
from actionlab.qr import qr_data_uri
from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.settings import Settings
from actionlab.urls import join_url

from .canvas import CanvasBoard, MemberNames
from .common import esc, html_box, set_shown, wb_classes
from .followup import GroupFollowup
from .keygate import key_refusal
from .live import LiveLoop
from .roomcontrol import RoomControls
from .roomview import QuestionBanner, QueueDisplay, RulesPanel, StepBanner, TimerDisplay
from .roomwatch import RoomWatch


class ProjectorPage:
    def __init__(self, workbook: Workbook, params: dict[str, str], settings: Settings, lang: str):
        self.workbook = workbook
        self.settings = settings
        self.loop: LiveLoop | None = None
        self._ = _ = translator(lang)
        refused = key_refusal(workbook, params.get("key"), _)
        if refused is not None:
            self.widget = refused
            return
        workshop = workbook.workshops.find(params.get("code"))
        if workshop is None:
            self.widget = html_box(
                f'<div class="wb-notice">{esc(_("Open the projector from the facilitator console."))}</div>',
                "wb-page", "wb-projector",
            )
            return
        self._ = _ = translator(workshop.lang)
        self.workshop = workshop
        feed = workbook.feed(workshop.id)  # before the first read: no change slips by
        url = join_url(settings.public_url or settings.base_url, workshop.code)
        header = html_box(
            f'<div class="wb-projector-header">'
            f'<div class="wb-projector-title wb-page-title" data-title="{esc(workshop.title)}">{esc(workshop.title)}</div>'
            f'<div class="wb-projector-join"><img class="wb-join-qr" alt="QR" src="{qr_data_uri(url)}">'
            f'<div><div class="wb-join-label">{esc(_("Join code"))}</div>'
            f'<div class="wb-join-code">{esc(workshop.code)}</div>'
            f'<div class="wb-join-url">{esc(url)}</div></div></div></div>',
            "wb-projector-top",
        )
        self.canvases = workbook.canvas.canvases_of(workshop)
        self.names = MemberNames(workbook, workshop)
        self.room = RoomWatch(workbook, workshop)
        self.banner = StepBanner(workbook, self.room, _)
        self.timer = TimerDisplay(self.room, self.banner.title_of, _, sound=True)
        self.question = QuestionBanner(self.room, _)
        self.rules = RulesPanel(workbook.library, self.room, _, on_demand=False)
        self.controls = RoomControls(workbook, self.room, _, compact=True)
        self.boards: list[CanvasBoard] = []
        self.counts: dict[int, w.HTML] = {}
        self.grid = w.GridBox([], layout=w.Layout(grid_gap="12px"),
                              **wb_classes("wb-projector-grid"))
        self.switch = w.ToggleButtons(options=[(c.title(workshop.lang), c.key) for c in self.canvases],
                                      value=self.canvases[0].key,
                                      **wb_classes("wb-projector-canvas"))
        self.switch.observe(lambda change: self.show_canvas(change["new"]), names="value")
        if len(self.canvases) == 1:
            set_shown(self.switch, False)
        self.show_canvas(self.canvases[0].key)
        self._step = None
        self._follow_step()
        self.widget = w.VBox([
            header,
            w.HBox([self.banner.widget, self.timer.widget], **wb_classes("wb-projector-status")),
            self.question.widget, self.rules.widget, self.switch, self.grid,
            self.controls.widget,
        ], **wb_classes("wb-page", "wb-projector", "wb-projection"))
        self._apply_theme()
        self.loop = LiveLoop(feed, settings.poll_interval)
        self.loop.subscribe(self.on_changes)
        self.loop.every(self.tick)

    def show_canvas(self, key: str) -> None:
        """Project one canvas for every group (the facilitator switches between them)."""
        workbook, workshop, _ = self.workbook, self.workshop, self._
        canvas = next(c for c in self.canvases if c.key == key)
        from .chartstrip import ChartStrip  # pandas and matplotlib: facilitator side only

        self.boards, self.counts, panels = [], {}, []
        self.strips, self.queues, self.group_views, self.followups = [], [], [], []
        for group in workbook.workshops.groups(workshop):
            board = CanvasBoard(workbook, workshop, group, canvas, None, _, compact=True,
                                names=self.names, room=self.room)
            group_step = StepBanner(workbook, self.room, _, group.id, only_when_apart=True)
            group_question = QuestionBanner(self.room, _, group.id, own_only=True)
            queue = QueueDisplay(workbook, self.room, group.id, self.names.get, _)
            followup = GroupFollowup(workbook, self.room, group, self.names.get, _)
            self.followups.append(followup)
            self.queues.append(queue)
            self.group_views += [group_step, group_question]
            strip = ChartStrip(workbook, workshop, group, canvas, _)
            count = html_box("", "wb-group-members")
            self.counts[group.id] = count
            self.boards.append(board)
            self.strips.append(strip)
            panels.append(
                w.VBox([
                    html_box(f'<div class="wb-group-name">{esc(group.name)}</div>', "wb-group-header"),
                    count,
                    group_step.widget,
                    group_question.widget,
                    queue.widget,
                    followup.widget,
                    strip.widget,
                    board.widget,
                ], **wb_classes("wb-group-panel", f"wb-group-{group.number}"))
            )
        self.grid.children = panels
        columns = {4: 2, 5: 3}.get(len(panels), len(panels))  # 4 groups: 2 × 2; 5: 3 + 2
        self.grid.layout.grid_template_columns = f"repeat({columns}, minmax(0, 1fr))"
        for n in range(1, 6):
            self.grid.remove_class(f"wb-groups-{n}")
        self.grid.add_class(f"wb-groups-{len(panels)}")
        self._update_counts()

    def _update_counts(self) -> None:
        _ = self._
        for roster in self.workbook.workshops.roster(self.workshop):
            count = self.counts.get(roster.group.id)
            if count is not None:
                count.value = f'<span class="wb-member-count">{esc(_("Members: {n}", n=len(roster.members)))}</span>'

    def _follow_step(self) -> None:
        """The projector shows the canvas of the room's step when the facilitator moves on."""
        index = self.room.state.step_all
        if index == self._step:
            return
        self._step = index
        _i, step = self.workbook.room.current_step(self.room.workshop, steps=self.room.steps)
        if step is not None and step.canvas in {c.key for c in self.canvases}:
            self.switch.value = step.canvas

    def _apply_theme(self) -> None:
        dark = self.room.state.theme == "dark"
        self.widget.add_class("wb-theme-dark" if dark else "wb-theme-light")
        self.widget.remove_class("wb-theme-light" if dark else "wb-theme-dark")

    def tick(self) -> None:
        self.timer.tick()
        for queue in self.queues:
            queue.tick()

    def on_changes(self, batch: ChangeBatch) -> None:
        if self.room.on_changes(batch):
            self._apply_theme()
            self.banner.refresh()
            self.question.refresh()
            self.rules.refresh()
            for view in self.group_views:
                view.refresh()
            self._follow_step()
        self.controls.on_changes(batch)
        if batch.touches("member"):
            self._update_counts()
        for board in self.boards:
            board.on_changes(batch)
        for strip in self.strips:
            strip.on_changes(batch)
        for followup in self.followups:
            followup.on_changes(batch)

    def start(self) -> None:
        if self.loop is not None:
            self.loop.start()
