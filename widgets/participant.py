"""The participant page: join with the code, pick a group, type a name, work on the canvas.

One notebook, one kernel per person: the page switches from the join form to the member's
board. The member's personal link (``?code=…&me=…``) is put in the address bar, so a reload
or a bookmark brings them back as themselves.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.errors import AccessDenied, ActionlabError
from actionlab.i18n import N_, translator
from actionlab.memory import give_back_memory
from actionlab.services import Workbook
from actionlab.services.access import member_actor
from actionlab.services.canvas import Author
from actionlab.services.live import ChangeBatch
from actionlab.services.meetings import HEARTBEAT_SECONDS
from actionlab.settings import Settings
from actionlab.urls import member_url

from .canvas import CanvasBoard, MemberNames
from .common import MessageLine, button, esc, guarded, hbox, html_box, shared, vbox, wb_classes
from .followup import GroupFollowup, ProgressForm, ReflectionForm
from .live import LiveLoop
from .roomview import (
    QuestionBanner,
    QueueDisplay,
    ReadyPrompt,
    RulesPanel,
    StepBanner,
    TimerDisplay,
)
from .roomwatch import RoomWatch
from .rounds import RoundControl
from .surveyform import SurveyForm

if TYPE_CHECKING:
    from actionlab.db.models import Member, Workshop


class ParticipantPage:
    def __init__(self, workbook: Workbook, params: dict[str, str], settings: Settings, lang: str):
        self.workbook = workbook
        self.settings = settings
        self.lang = lang
        self._ = translator(lang)
        self.loop: LiveLoop | None = None
        self.board: CanvasBoard | None = None
        self.body = vbox()
        self.widget = vbox([self.body], "wb-page", "wb-participant")
        workshop = workbook.workshops.find(params.get("code"))
        token = params.get("me")
        if workshop is not None and token:
            try:
                member = workbook.workshops.resume(workshop.code, token)
            except AccessDenied:
                self._group_form(workshop, hint=N_("This personal link is not valid any more. Join again below."))
                return
            else:
                self._member_view(workshop, member, token)
                return
        if workshop is not None:
            self._group_form(workshop)
        else:
            hint = self._("No workshop has that code.") if params.get("code") else ""
            self._code_form(params.get("code", ""), hint)

    # -- step 1: the code ---------------------------------------------------------------
    def _code_form(self, code: str, hint: str = "") -> None:
        _ = self._
        message = MessageLine(_)
        if hint:
            message.notice(hint)
        code_input = w.Text(value=code or "", placeholder=_("Join code"), continuous_update=False,
                            **wb_classes("wb-join-code-input"))
        go = button(_("Continue"), "wb-join-code-submit", style="primary")

        def submit(_b=None):
            workshop = self.workbook.workshops.find(code_input.value)
            if workshop is None:
                message.notice(_("No workshop has that code."))
                return
            self._group_form(workshop)

        go.on_click(submit)
        self.body.children = [
            html_box(f'<h2 class="wb-page-title" data-title="{esc(_("Join a workshop"))}">'
                     f'{esc(_("Join a workshop"))}</h2>', "wb-heading"),
            html_box(f'<p>{esc(_("Type the code shown on the projector."))}</p>'),
            code_input, go, message.widget,
        ]

    # -- step 2: group and name ---------------------------------------------------------
    def _group_form(self, workshop: Workshop, hint: str = "") -> None:
        self.lang = workshop.lang
        self._ = _ = translator(workshop.lang)
        message = MessageLine(_)
        if hint:
            message.notice(_(hint))
        groups = self.workbook.workshops.groups(workshop)
        group_pick = w.RadioButtons(options=[(g.name, g.id) for g in groups], value=None,
                                    layout=w.Layout(width="auto"), **wb_classes("wb-join-group"))
        name = w.Text(placeholder=_("Your name"), continuous_update=True,
                      **wb_classes("wb-join-name"))
        join = button(_("Join"), "wb-join-submit", style="primary")

        def submit(_b=None):
            if group_pick.value is None:
                message.notice(_("Choose your group."))
                return
            joined = guarded(message, self.workbook.workshops.join, workshop.code,
                             group_pick.value, name.value)
            if joined is not None:
                self._member_view(workshop, joined.member, joined.token)

        join.on_click(submit)
        # filled by actionlab.js when this browser has joined this workshop before (one tap back)
        rejoin_label = _("Continue as {name}")
        rejoin = html_box(f'<div class="wb-rejoin" data-code="{esc(workshop.code)}"'
                          f' data-label="{esc(rejoin_label)}" hidden></div>')
        self.body.children = [
            html_box(f'<h2 class="wb-page-title" data-title="{esc(workshop.title)}">'
                     f'{esc(workshop.title)}</h2>', "wb-heading"),
            rejoin,
            html_box(f'<p class="wb-label">{esc(_("Your group"))}</p>'), group_pick,
            html_box(f'<p class="wb-label">{esc(_("Your name"))}</p>'), name,
            join, message.widget,
        ]

    # -- step 3: the member's board -----------------------------------------------------
    def _member_view(self, workshop: Workshop, member: Member, token: str) -> None:
        self.lang = workshop.lang
        self._ = _ = translator(workshop.lang)
        group = next(g for g in self.workbook.workshops.groups(workshop) if g.id == member.group_id)
        link = member_url(self.settings.public_url or self.settings.base_url, workshop.code, token)
        relative = member_url(self.settings.base_url, workshop.code, token)
        header = html_box(
            f'<div class="wb-member-badge"><span class="wb-member-name">{esc(member.name)}</span>'
            f' · <span class="wb-member-group">{esc(group.name)}</span></div>'
            f'<span class="wb-self-link" data-href="{esc(relative)}" hidden></span>'
            f'<span class="wb-page-title" data-title="{esc(workshop.title)}" hidden></span>',
            "wb-member-header",
        )
        keep = html_box(
            f'<details class="wb-personal-link"><summary>{esc(_("Your personal link"))}</summary>'
            f'<p>{esc(_("Bookmark it to come back as yourself on this or another device."))}</p>'
            f'<a href="{esc(link)}">{esc(link)}</a></details>',
            "wb-personal-link-box",
        )
        feed = self.workbook.feed(workshop.id)  # before the first read: no change slips by
        feed.wake_group = member.group_id  # another group's card need not wake this page
        canvases = self.workbook.canvas.canvases_of(workshop)
        names = MemberNames(self.workbook, workshop)
        room = RoomWatch(self.workbook, workshop)
        self.member, self.group, self.room, self.names = member, group, room, names
        # A board is built when its canvas is first shown (the step's, or the tab opened):
        # a kernel holds, and a phone receives, only the boards the member looks at.
        self.canvases = canvases
        self.boards: list[CanvasBoard] = []  # the boards built so far, in the canvases' order
        self._built: dict[int, CanvasBoard] = {}
        self._board_loop: LiveLoop | None = None  # the live loop boards built later join
        self.tabs = None
        if len(canvases) == 1:
            boards = self._open_board(0).widget
        else:
            self._holders = [vbox((), "wb-canvas-tab") for _ in canvases]
            boards = self.tabs = w.Tab(children=self._holders,
                                       titles=[c.title(workshop.lang) for c in canvases],
                                       **wb_classes("wb-canvas-tabs"))
        self.banner = StepBanner(self.workbook, room, _, group.id)
        self.timer = TimerDisplay(room, self.banner.title_of, _)
        self.question = QuestionBanner(room, _, group.id)
        self.ready = ReadyPrompt(self.workbook, room, member, _)
        self.rules = RulesPanel(self.workbook.library, room, _)
        if self.workbook.speaking.may_run(Author(member), group.id):
            self.round = RoundControl(self.workbook, room, group, Author(member), names.get, _)
        else:
            self.round = QueueDisplay(self.workbook, room, group.id, names.get, _)
        self.progress = ProgressForm(self.workbook, room, member, _)
        self.review = ReflectionForm(self.workbook, room, member, _)
        self.followup = GroupFollowup(self.workbook, room, group, names.get, _)
        self.survey = SurveyForm(self.workbook, room, member, _)
        self._step = None
        self._follow_step()
        if self.tabs is not None:
            self._open_board(self.tabs.selected_index or 0)
            self.tabs.observe(self._on_tab, names="selected_index")
        self.board = self.boards[0]
        self.body.children = [header, self.banner.widget, self.timer.widget, self.question.widget,
                              self.ready.widget, self.survey.widget, self.rules.widget,
                              self.round.widget, self.progress.widget, self.review.widget,
                              self.followup.widget,
                              self._subtask_box(workshop, member), boards, keep]
        if self.loop is not None:
            self.loop.stop()
        self.loop = LiveLoop(feed, self.settings.poll_interval)
        for board in self.boards:
            self.loop.subscribe(board.on_changes)
        self._board_loop = self.loop
        self.loop.subscribe(self.on_changes)
        self.loop.every(self.tick)
        self._token = token
        self._beat = 0.0
        self._marked = None  # the meeting this page has checked attendance for
        self.start()
        give_back_memory()  # what building the page freed goes back to the system

    def _open_board(self, index: int) -> CanvasBoard:
        """The board of the ``index``-th canvas, built (and put in its tab) the first time."""
        board = self._built.get(index)
        if board is not None:
            return board
        board = CanvasBoard(self.workbook, self.room.workshop, self.group, self.canvases[index],
                            Author(self.member), self._, names=self.names, room=self.room)
        self._built[index] = board
        self.boards = [self._built[i] for i in sorted(self._built)]
        if self.tabs is not None:
            self._holders[index].children = [board.widget]
        if self._board_loop is not None:
            self._board_loop.subscribe(board.on_changes)
        return board

    def _on_tab(self, change) -> None:
        if change["new"] is None or change["new"] in self._built:
            return
        try:
            self._open_board(change["new"])
        except ActionlabError as exc:  # the store is away: the tab says so; reopening retries
            message = MessageLine(self._)
            message.error(exc)
            self._holders[change["new"]].children = [message.widget]

    def _follow_step(self) -> None:
        """When the facilitator moves the group to a canvas step, that canvas comes up."""
        _index, step = self.workbook.room.current_step(self.room.workshop, self.member.group_id,
                                                      self.room.steps)
        index = self.room.state.step_of(self.member.group_id)
        if index == self._step:
            return
        self._step = index
        if self.tabs is not None and step is not None and step.canvas:
            keys = [c.key for c in self.canvases]
            if step.canvas in keys:
                self.tabs.selected_index = keys.index(step.canvas)

    def on_changes(self, batch: ChangeBatch) -> None:
        me = self.member.id
        for change in batch.changes:
            if change.entity == "member" and change.entity_id == me:
                if change.action == "member.remove":
                    self.loop.stop()
                    self._code_form(self.room.workshop.code,
                                    self._("The facilitator has taken you off the list. Join again below."))
                    return
                member = self.workbook.store.find_member(me)
                if member.group_id != self.member.group_id and member.group_id is not None:
                    self._member_view(self.room.workshop, member, self._token)  # moved: new group
                    return
                self.member = member
        if any(c.action == "meeting.start" for c in batch.changes):
            self._beat = 0.0  # say "I am here" to the new meeting at once (attendance)
        if self.room.on_changes(batch):
            self.banner.refresh()
            self.question.refresh()
            self.ready.refresh()
            self.rules.refresh()
            self._follow_step()
            if isinstance(self.round, RoundControl):
                self.round.refresh()
        self.progress.on_changes(batch)
        self.review.on_changes(batch)
        self.followup.on_changes(batch)
        self.survey.on_changes(batch)

    def tick(self) -> None:
        self.timer.tick()
        self.round.tick()
        now = time.monotonic()
        if now - self._beat >= HEARTBEAT_SECONDS:
            self._beat = now
            meeting = self.room.state.meeting_id
            try:
                marked = self.workbook.meetings.heartbeat(
                    self.room.workshop, self.member, mark=bool(meeting) and meeting != self._marked)
                self._marked = marked or self._marked
            except ActionlabError:
                pass  # presence is best effort; the live loop shows when the store is away

    def _subtask_box(self, workshop: Workshop, member: Member) -> w.Widget:
        """The member's own sub-task (子课题): every member owns one."""
        _ = self._
        message = MessageLine(_)
        text = w.Text(value=member.subtask or "", placeholder=_("What is your own part of the topic?"),
                      continuous_update=False, layout=shared(w.Layout, width="100%"),
                      **wb_classes("wb-my-subtask"))
        save = button(_("Save my sub-task"), "wb-my-subtask-save")

        def submit(_b=None):
            done = guarded(message, self.workbook.teams.set_subtask, member_actor(member.id),
                           workshop, member.id, text.value)
            if done is not None:
                message.notice(_("Saved."))

        save.on_click(submit)
        return vbox([
            html_box(f'<span class="wb-label">{esc(_("My sub-task"))}</span>'),
            hbox([text, save]), message.widget,
        ], "wb-my-subtask-box")

    def start(self) -> None:
        if self.loop is not None:
            self.loop.start()
