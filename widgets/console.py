"""The facilitator console: create a workshop, show its code and QR, see who joined, export."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.i18n import LANGS, translator
from actionlab.qr import qr_data_uri
from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.settings import Settings
from actionlab.urls import join_url, projector_url

from .backupinfo import BackupInfo
from .common import MessageLine, button, esc, guarded, html_box, set_shown, wb_classes
from .exportpanel import ExportPanel
from .keygate import key_refusal
from .live import LiveLoop
from .picker import CanvasPicker

if TYPE_CHECKING:
    from actionlab.db.models import Workshop

LANG_NAMES = {"zh": "中文", "en": "English"}
#: How often the console re-reads the last backup (seconds).
BACKUP_READ_S = 5.0


class ConsolePage:
    def __init__(self, workbook: Workbook, params: dict[str, str], settings: Settings, lang: str):
        self.workbook = workbook
        self.settings = settings
        self.lang = lang
        self._ = _ = translator(lang)
        self.loop: LiveLoop | None = None
        self._started = False
        self.key = params.get("key", "")
        refused = key_refusal(workbook, self.key, _)
        if refused is not None:
            self.widget = refused
            return
        self.workshop: Workshop | None = None
        self.message = MessageLine(_)

        # -- create a workshop ---------------------------------------------------------
        self.title = w.Text(placeholder=_("Workshop title"), layout=w.Layout(width="24em"),
                            **wb_classes("wb-create-title"))
        self.new_lang = w.Dropdown(options=[(LANG_NAMES[k], k) for k in LANGS], value=lang,
                                   layout=w.Layout(width="8em"), **wb_classes("wb-create-lang"))
        self.groups = w.BoundedIntText(value=4, min=1, max=5, layout=w.Layout(width="5em"),
                                       **wb_classes("wb-create-groups"))
        self.picker_canvases = CanvasPicker(
            list(workbook.library.canvases().values()), lang, _, selected=("restructure",))
        self.create = button(_("Create workshop"), "wb-create-submit", style="primary")
        self.create.on_click(lambda _b: self._create())
        # The form is open on a store without workshops; otherwise closed until asked for, so
        # that on a laptop's screen the running workshop, not the form, is what the console shows.
        self.create_toggle = w.ToggleButton(value=False, description=_("+ New workshop"),
                                            layout=w.Layout(width="auto"),
                                            **wb_classes("wb-button", "wb-create-toggle"))
        self.create_toggle.observe(lambda change: set_shown(self.create_box, change["new"]),
                                   names="value")
        self.create_box = create_box = w.VBox([
            html_box(f'<h3>{esc(_("New workshop"))}</h3>'),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Title"))}</span>'), self.title]),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Language"))}</span>'), self.new_lang,
                    html_box(f'<span class="wb-label">{esc(_("Groups (1–5)"))}</span>'), self.groups]),
            html_box(f'<span class="wb-label">{esc(_("Canvases, in the order the groups use them"))}</span>'),
            self.picker_canvases.widget,
            self.create,
        ], **wb_classes("wb-create", "wb-hidden"))

        # -- choose a workshop ---------------------------------------------------------
        self.picker = w.Dropdown(options=[], layout=w.Layout(width="28em"),
                                 **wb_classes("wb-workshop-select"))
        self.picker.observe(self._picked, names="value")

        # -- the chosen workshop -------------------------------------------------------
        self.info = html_box("", "wb-workshop-info")
        self.roster = html_box("", "wb-roster")
        self.export_holder = w.VBox([])
        self.exports = None
        # The whole store's backup, not one workshop's: built once per console page.
        self.backup = BackupInfo(self.workbook, _)
        self._backup_read = time.monotonic()
        overview = w.VBox([
            self.info,
            html_box(f'<h3>{esc(_("Who has joined"))}</h3>'),
            self.roster,
            html_box(f'<h3>{esc(_("Session record"))}</h3>'),
            self.export_holder,
            self.backup.widget,
        ], **wb_classes("wb-workshop-overview"))
        self.facilitate = None
        self.teams = None
        self.panels: list = []
        # The tabs' children never change (Lumino keeps a replaced tab page hidden); the
        # panels of the chosen workshop go into these holders.
        self.room_holder = w.VBox([])
        self.people_holder = w.VBox([])
        self.rounds_holder = w.VBox([])
        self.facilitate_holder = w.VBox([])
        self.teams_holder = w.VBox([])
        self.followup_holder = w.VBox([])
        self.evaluation_holder = w.VBox([])
        self.programme_holder = w.VBox([])
        self.tabs = w.Tab(children=[overview, self.room_holder, self.people_holder,
                                    self.rounds_holder, self.facilitate_holder, self.teams_holder,
                                    self.followup_holder, self.evaluation_holder,
                                    self.programme_holder],
                          titles=[_("Workshop"), _("Room"), _("Meeting & people"), _("Speaking"),
                                  _("Canvases"), _("Teams"), _("Follow-up"), _("Evaluation"), _("Programme")],
                          **wb_classes("wb-console-tabs"))
        self.detail = w.VBox([self.tabs], **wb_classes("wb-workshop-detail"))
        self.widget = w.VBox([
            html_box(f'<h2 class="wb-page-title" data-title="{esc(_("Facilitator console"))}">'
                     f'{esc(_("Facilitator console"))}</h2>', "wb-heading"),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Workshop"))}</span>'), self.picker,
                    self.create_toggle]),
            create_box,
            self.message.widget,
            self.detail,
        ], **wb_classes("wb-page", "wb-console"))
        self._reload_workshops(select=params.get("code"))

    def _reload_workshops(self, select: str | None = None) -> None:
        workshops = self.workbook.workshops.all()
        options = [(f"{ws.code} · {ws.title}", ws.code) for ws in reversed(workshops)]
        current = select or (self.workshop.code if self.workshop else None)
        self.picker.options = options
        codes = [code for _label, code in options]
        if not codes:
            self.create_toggle.value = True
        if current in codes:
            self.picker.value = current
        elif codes:
            self.picker.value = codes[0]
        self._picked()

    def _create(self) -> None:
        ws = guarded(self.message, self.workbook.workshops.create, self.title.value,
                     self.new_lang.value, self.groups.value, canvases=self.picker_canvases.value)
        if ws is not None:
            self.title.value = ""
            self.create_toggle.value = False
            self.message.notice(self._("Workshop created. Its join code is {code}.", code=ws.code))
            self._reload_workshops(select=ws.code)

    def _picked(self, _change=None) -> None:
        code = self.picker.value
        if not code:
            self.workshop = None
            set_shown(self.detail, False)
            return
        if self.workshop is not None and self.workshop.code == code:
            return
        self.workshop = self.workbook.workshops.get(code)
        set_shown(self.detail, True)
        self.exports = ExportPanel(self.workbook, self.workshop, self._)
        self.export_holder.children = [self.exports.widget]
        self._show_info()
        self._show_roster()
        self._panels()
        if self.loop is not None:
            self.loop.stop()
        self.loop = LiveLoop(self.workbook.feed(self.workshop.id), self.settings.poll_interval)
        self.loop.subscribe(self.on_changes)
        self.loop.every(self.tick)
        if self._started:
            self.loop.start()

    def _panels(self) -> None:
        """The facilitator's panels for the chosen workshop: running the room, the meeting
        and its people, the speaking rounds, the canvases and the teams."""
        from .attendance import PeoplePanel
        from .canvas import MemberNames
        from .evaluation import EvaluationPanel
        from .facilitate import FacilitatePanel
        from .followpanel import FollowupPanel
        from .programme import ProgrammePanel
        from .questions import QuestionsPanel
        from .roomcontrol import RoomControls
        from .roomwatch import RoomWatch
        from .rounds import RoundsPanel
        from .teams import TeamsPanel
        from .trace import TracePanel

        _ = self._
        room = RoomWatch(self.workbook, self.workshop)
        names = MemberNames(self.workbook, self.workshop)
        self.controls = RoomControls(self.workbook, room, _)
        self.questions = QuestionsPanel(self.workbook, room, _)
        self.people = PeoplePanel(self.workbook, room, _)
        self.rounds = RoundsPanel(self.workbook, room, names.get, _)
        self.names = names
        self.facilitate = FacilitatePanel(self.workbook, self.workshop, self._)
        self.teams = TeamsPanel(self.workbook, self.workshop, self._)
        from .trackstrip import TrackCharts

        self.followup = FollowupPanel(self.workbook, room, names.get, _,
                                      charts=TrackCharts(self.workbook, room, _))
        self.evaluation = EvaluationPanel(self.workbook, room, _)
        self.programme = ProgrammePanel(self.workbook, room, _)
        self.trace = TracePanel(self.workbook, room, _)
        self.room_holder.children = [w.Box([self.controls.widget, self.questions.widget],
                                           **wb_classes("wb-room-tab"))]
        self.people_holder.children = [self.people.widget]
        self.rounds_holder.children = [self.rounds.widget]
        self.facilitate_holder.children = [self.facilitate.widget]
        self.teams_holder.children = [self.teams.widget]
        self.followup_holder.children = [self.followup.widget]
        self.evaluation_holder.children = [self.evaluation.widget]
        self.programme_holder.children = [self.programme.widget, self.trace.widget]
        self.panels = [self.controls, self.questions, self.people, self.rounds,
                       self.facilitate, self.teams, self.followup, self.evaluation,
                       self.programme, self.trace]

    def _show_info(self) -> None:
        _ = self._
        ws = self.workshop
        url = join_url(self.settings.public_url or self.settings.base_url, ws.code)
        projector = projector_url(self.settings.base_url, self.key, ws.code)
        self.info.value = (
            f'<div class="wb-workshop-card">'
            f'<img class="wb-join-qr" alt="QR" src="{qr_data_uri(url)}">'
            f'<div><div class="wb-workshop-title">{esc(ws.title)}</div>'
            f'<div class="wb-join-label">{esc(_("Join code"))}</div>'
            f'<div class="wb-join-code">{esc(ws.code)}</div>'
            f'<div class="wb-join-url"><a href="{esc(url)}" target="_blank">{esc(url)}</a></div>'
            f'<div><a class="wb-projector-link" href="{esc(projector)}" target="_blank">'
            f'{esc(_("Open the projector view"))}</a></div></div></div>'
        )

    def _show_roster(self) -> None:
        _ = self._
        rows = []
        for roster in self.workbook.workshops.roster(self.workshop):
            names = esc(_(", ")).join(esc(m.name) for m in roster.members) or f'<span class="wb-empty">{esc(_("nobody yet"))}</span>'
            rows.append(
                f'<tr class="wb-roster-group"><th>{esc(roster.group.name)}</th>'
                f'<td class="wb-roster-count">{len(roster.members)}</td>'
                f'<td class="wb-roster-names">{names}</td></tr>'
            )
        self.roster.value = f'<table class="wb-roster-table">{"".join(rows)}</table>'

    def on_changes(self, batch: ChangeBatch) -> None:
        if batch.touches("member") or batch.touches("workshop"):
            self._show_roster()
        if self.exports is not None and (batch.touches("meeting") or batch.touches("group")):
            self.exports.refresh()
        if self.panels:
            self.names.on_changes(batch)
        for panel in self.panels:
            panel.on_changes(batch)

    def tick(self) -> None:
        for panel in (self.controls, self.rounds, self.people) if self.panels else ():
            panel.tick()
        if time.monotonic() - self._backup_read >= BACKUP_READ_S:
            # A backup by the command or another console writes no change-log row.
            self._backup_read = time.monotonic()
            self.backup.refresh()

    def start(self) -> None:
        self._started = True
        if self.loop is not None:
            self.loop.start()
