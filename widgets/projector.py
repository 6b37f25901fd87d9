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
from .common import esc, html_box, wb
from .live import LiveLoop


def denied(_) -> w.Widget:
    return html_box(
        f'<div class="wb-error wb-access-denied" role="alert">'
        f'{esc(_("This page needs the facilitator link printed when the server started."))}</div>',
        "wb-page",
    )


class ProjectorPage:
    def __init__(self, workbook: Workbook, params: dict[str, str], settings: Settings, lang: str):
        self.workbook = workbook
        self.settings = settings
        self.loop: LiveLoop | None = None
        self._ = _ = translator(lang)
        if not workbook.access.is_facilitator_key(params.get("key")):
            self.widget = denied(_)
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
        url = join_url(settings.public_url or "/", workshop.code)
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
        self.boards: list[CanvasBoard] = []
        self.counts: dict[int, w.HTML] = {}
        self.grid = wb(w.GridBox([], layout=w.Layout(grid_gap="12px")), "wb-projector-grid")
        self.switch = wb(
            w.ToggleButtons(options=[(c.title(workshop.lang), c.key) for c in self.canvases],
                            value=self.canvases[0].key),
            "wb-projector-canvas",
        )
        self.switch.observe(lambda change: self.show_canvas(change["new"]), names="value")
        if len(self.canvases) == 1:
            self.switch.layout.display = "none"
        self.show_canvas(self.canvases[0].key)
        self.widget = wb(w.VBox([header, self.switch, self.grid]), "wb-page", "wb-projector")
        self.loop = LiveLoop(feed, settings.poll_interval)
        self.loop.subscribe(self.on_changes)

    def show_canvas(self, key: str) -> None:
        """Project one canvas for every group (the facilitator switches between them)."""
        workbook, workshop, _ = self.workbook, self.workshop, self._
        canvas = next(c for c in self.canvases if c.key == key)
        from .chartstrip import ChartStrip  # pandas and matplotlib: facilitator side only

        self.boards, self.counts, panels = [], {}, []
        self.strips = []
        for group in workbook.workshops.groups(workshop):
            board = CanvasBoard(workbook, workshop, group, canvas, None, _, compact=True,
                                names=self.names)
            strip = ChartStrip(workbook, workshop, group, canvas, _)
            count = html_box("", "wb-group-members")
            self.counts[group.id] = count
            self.boards.append(board)
            self.strips.append(strip)
            panels.append(
                wb(
                    w.VBox([
                        html_box(f'<div class="wb-group-name">{esc(group.name)}</div>', "wb-group-header"),
                        count,
                        strip.widget,
                        board.widget,
                    ]),
                    "wb-group-panel", f"wb-group-{group.number}",
                )
            )
        self.grid.children = panels
        self.grid.layout.grid_template_columns = f"repeat({len(panels)}, minmax(0, 1fr))"
        self._update_counts()

    def _update_counts(self) -> None:
        _ = self._
        for roster in self.workbook.workshops.roster(self.workshop):
            count = self.counts.get(roster.group.id)
            if count is not None:
                count.value = f'<span class="wb-member-count">{esc(_("Members: {n}", n=len(roster.members)))}</span>'

    def on_changes(self, batch: ChangeBatch) -> None:
        if batch.touches("member"):
            self._update_counts()
        for board in self.boards:
            board.on_changes(batch)
        for strip in self.strips:
            strip.on_changes(batch)

    def start(self) -> None:
        if self.loop is not None:
            self.loop.start()
