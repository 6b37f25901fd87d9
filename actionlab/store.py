"""The store facade: the only code that opens database sessions.

Verbs are ``add_…``, ``find_…``, ``update_…``, ``remove_…``. Every write runs in one
transaction that also appends one change-log row per change, each with the next revision
(see :class:`actionlab.db.models.RevisionCounter`). Errors surface as the workbook's own
exceptions (:mod:`actionlab.errors`). Rules live in the services above, not here.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import migrate
from .db.engine import make_engine
from .db.models import (
    ActionUpdate,
    AssessmentScore,
    Attendance,
    Base,
    Card,
    Change,
    Decision,
    FacilitatorKey,
    Group,
    Lesson,
    Meeting,
    Member,
    ProgressReport,
    PromptAnswer,
    QuestionAsked,
    Reflection,
    RevisionCounter,
    Score,
    ServerState,
    SpeakingTurn,
    SurveyAnswer,
    Vote,
    Workshop,
    utcnow,
)
from .db.signal import CHANNEL, ChangeSignal, notify_payload, signal_for, signal_spec
from .errors import Busy, Conflict, NotFound, RoomChanged, SchemaOutOfDate, StoreError
from .storetypes import NewRow, RoomEdit


@dataclass
class _Pending:
    action: str
    entity: str
    obj: Any = None
    entity_id: int | None = None
    workshop_id: int | None = None
    group_id: int | None = None
    payload: dict = field(default_factory=dict)


class WriteTx:
    """One write transaction: the session plus the change-log entries it will append."""

    def __init__(self, session: Session, actor: str):
        self.session = session
        self.actor = actor
        self.pending: list[_Pending] = []

    def log(self, action: str, entity: str, obj: Any = None, *, entity_id: int | None = None,
            workshop_id: int | None = None, group_id: int | None = None, **payload) -> None:
        self.pending.append(_Pending(action, entity, obj, entity_id, workshop_id, group_id, payload))


#: The models a :class:`NewRow` may name.
ROW_MODELS = {m.__name__: m for m in (SpeakingTurn, QuestionAsked)}


def _mapped(row: NewRow | Base) -> Base:
    """The mapped object for a row a service described (or already made)."""
    if not isinstance(row, NewRow):
        return row
    model = ROW_MODELS.get(row.model)
    if model is None:
        raise StoreError(f"rows of {row.model!r} are not added this way")
    return model(**row.fields)


_UNSET: Any = object()
#: Meeting columns that ``update_meeting`` may change.
MEETING_FIELDS = ("kind", "title", "agenda", "held_on", "started_at", "ended_at")
#: Member columns that ``update_member`` may change.
MEMBER_FIELDS = ("name", "group_id", "role", "token_hash", "unit", "department", "profession",
                 "level", "gender", "age_band", "subtask")


def _member_payload(member: Member) -> dict:
    return {k: getattr(member, k) for k in MEMBER_FIELDS if k not in ("token_hash", "group_id")}


def _board_query(model, workshop_id: int, group_id: int | None, canvas: str | None):
    """Rows of one workshop, optionally of one group's board on one canvas."""
    query = select(model).where(model.workshop_id == workshop_id)
    if group_id is not None:
        query = query.where(model.group_id == group_id)
    if canvas is not None:
        query = query.where(model.canvas == canvas)
    return query


def _status_history(tx: WriteTx, card: Card, before: str | None, *, meeting_id: int | None = None,
                    report_id: int | None = None, note: str = "", at=None) -> None:
    """A card whose ``status`` field changed (an action) keeps the change as history."""
    status = (card.fields or {}).get("status")
    if status and status != before:
        tx.session.add(ActionUpdate(workshop_id=card.workshop_id, group_id=card.group_id,
                                    card_id=card.id, meeting_id=meeting_id, report_id=report_id,
                                    status=str(status), before=before, note=note,
                                    entered_by=tx.actor, at=at or utcnow()))


class Store:
    """Facade over one database. ``Store.open(url)`` checks the schema is current."""

    def __init__(self, engine: Engine, busy_timeout_ms: int = 10000):
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        # SQLite has one writer at a time. Threads of one process that wait for it in SQLite's
        # busy handler sleep in steps of up to 100 ms, long after the lock is free: the room's
        # store server (a thread per page) queues its writers here instead, and only other
        # processes (console, projector) still meet SQLite's lock.
        self._one_writer = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._busy_timeout_s = busy_timeout_ms / 1000

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, upgrade: bool = False, busy_timeout_ms: int = 10000) -> Store:
        """Open the store at ``url``; with ``upgrade`` bring the schema to the newest first."""
        engine = make_engine(url, busy_timeout_ms)
        try:
            if upgrade:
                migrate.upgrade(engine)
            current = migrate.current_revision(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot open the database: {exc.__class__.__name__}: {exc}") from exc
        if current != migrate.head_revision():
            engine.dispose()
            raise SchemaOutOfDate(
                f"the database schema is at {current or 'nothing'}, the workbook needs "
                f"{migrate.head_revision()}: run `actionlab db upgrade`"
            )
        return cls(engine, busy_timeout_ms)

    def close(self) -> None:
        self.engine.dispose()

    def warm_up(self) -> None:
        """Set up the ORM's mappings and open a connection, ahead of the first real read."""
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
        self.find_latest_revision()

    # -- transactions --------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._reader() as session:
                yield session
        except OperationalError as exc:
            raise StoreError(f"database unavailable: {exc.orig}") from exc

    @contextmanager
    def write(self, actor: str) -> Iterator[WriteTx]:
        """A write transaction by ``actor``; change-log rows are added before commit."""
        lock = self._one_writer
        if lock is not None and not lock.acquire(timeout=self._busy_timeout_s):
            raise Busy("database busy: another write of this process is taking too long")
        try:
            with self._writer() as session:
                tx = WriteTx(session, actor)
                yield tx
                session.flush()
                if tx.pending:
                    last = session.execute(
                        update(RevisionCounter)
                        .where(RevisionCounter.id == 1)
                        .values(value=RevisionCounter.value + len(tx.pending))
                        .returning(RevisionCounter.value)
                    ).scalar_one()
                    first = last - len(tx.pending) + 1
                    for offset, p in enumerate(tx.pending):
                        session.add(
                            Change(
                                revision=first + offset,
                                workshop_id=p.workshop_id,
                                group_id=p.group_id,
                                actor=actor,
                                action=p.action,
                                entity=p.entity,
                                entity_id=p.entity_id if p.obj is None else p.obj.id,
                                payload=p.payload,
                                at=utcnow(),
                            )
                        )
                    self._notify(session, {(p.workshop_id, p.group_id) for p in tx.pending})
                session.commit()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        except OperationalError as exc:
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise Busy(f"database busy: {exc.orig}") from exc
            raise StoreError(f"database unavailable: {exc.orig}") from exc
        finally:
            if lock is not None:
                lock.release()

    def _notify(self, session: Session, touched: set[tuple[int | None, int | None]]) -> None:
        """PostgreSQL: wake the pages listening for these (workshop, group) changes, at commit
        (:mod:`actionlab.db.signal`). SQLite pages see the file change instead."""
        if self.engine.dialect.name != "postgresql":
            return
        for payload in sorted({notify_payload(w, g) for w, g in touched}):
            session.execute(select(func.pg_notify(CHANNEL, payload)))

    def change_signal(self, workshop_id: int | None = None,
                      group_id: int | None = None) -> ChangeSignal:
        """A signal that fires when this workshop (or, on SQLite, any) may have new changes;
        with ``group_id``, on PostgreSQL, not for changes that belong to another group only."""
        return signal_for(self.engine, workshop_id, group_id)

    def signal_spec(self) -> dict:
        """How a page that reaches this store from afar hears its changes
        (:func:`actionlab.db.signal.signal_spec`)."""
        return signal_spec(self.engine)

    # -- workshops -----------------------------------------------------------------------
    def add_workshop(self, actor: str, *, code: str, title: str, lang: str, group_names: list[str],
                     canvases: list[str], is_demo: bool = False) -> Workshop:
        with self.write(actor) as tx:
            ws = Workshop(code=code, title=title, lang=lang, group_count=len(group_names),
                          canvases=list(canvases), is_demo=is_demo, created_at=utcnow())
            tx.session.add(ws)
            tx.session.flush()
            for number, name in enumerate(group_names, start=1):
                tx.session.add(Group(workshop_id=ws.id, number=number, name=name))
            tx.log("workshop.add", "workshop", ws, workshop_id=ws.id, code=code, title=title,
                   lang=lang, groups=len(group_names))
        return ws

    def find_workshop(self, code: str) -> Workshop:
        with self.read() as s:
            ws = s.scalar(select(Workshop).where(Workshop.code == code))
        if ws is None:
            raise NotFound(f"no workshop with code {code!r}")
        return ws

    def find_workshop_by_id(self, workshop_id: int) -> Workshop:
        with self.read() as s:
            ws = s.get(Workshop, workshop_id)
        if ws is None:
            raise NotFound(f"no workshop #{workshop_id}")
        return ws

    def find_workshops(self) -> list[Workshop]:
        with self.read() as s:
            return list(s.scalars(select(Workshop).order_by(Workshop.created_at, Workshop.id)))

    def find_groups(self, workshop_id: int) -> list[Group]:
        with self.read() as s:
            return list(
                s.scalars(select(Group).where(Group.workshop_id == workshop_id).order_by(Group.number))
            )

    def find_group(self, group_id: int) -> Group:
        with self.read() as s:
            group = s.get(Group, group_id)
        if group is None:
            raise NotFound(f"no group #{group_id}")
        return group

    # -- members -------------------------------------------------------------------------
    def add_member(self, actor: str, *, workshop_id: int, group_id: int | None, name: str,
                   token_hash: str | None, role: str = "member", **profile) -> Member:
        return self.add_members(actor, workshop_id, [dict(
            group_id=group_id, name=name, token_hash=token_hash, role=role, **profile)])[0]

    def add_members(self, actor: str, workshop_id: int, rows: list[dict]) -> list[Member]:
        """Add several members in one transaction: all of them or none (roster import)."""
        with self.write(actor) as tx:
            members = []
            for row in rows:
                unknown = set(row) - set(MEMBER_FIELDS)
                if unknown:
                    raise StoreError(f"unknown member fields {sorted(unknown)}")
                member = Member(workshop_id=workshop_id, joined_at=utcnow(),
                                **{"role": "member", **row})
                tx.session.add(member)
                members.append(member)
            tx.session.flush()
            for member in members:
                tx.log("member.add", "member", member, workshop_id=workshop_id,
                       group_id=member.group_id, **_member_payload(member))
        return members

    def update_member(self, actor: str, member_id: int, **changes) -> Member:
        unknown = set(changes) - set(MEMBER_FIELDS)
        if unknown:
            raise StoreError(f"unknown member fields {sorted(unknown)}")
        with self.write(actor) as tx:
            member = tx.session.get(Member, member_id)
            if member is None:
                raise NotFound(f"no member #{member_id}")
            before = {**_member_payload(member), "group_id": member.group_id}
            for key, value in changes.items():
                setattr(member, key, value)
            after = {**_member_payload(member), "group_id": member.group_id}
            tx.log("member.update", "member", member, workshop_id=member.workshop_id,
                   group_id=member.group_id,
                   changed={k: v for k, v in after.items() if before[k] != v},
                   before_group_id=before["group_id"],
                   device=member.token_hash is not None)
        return member

    def remove_member(self, actor: str, member_id: int) -> None:
        with self.write(actor) as tx:
            member = tx.session.get(Member, member_id)
            if member is None:
                raise NotFound(f"no member #{member_id}")
            tx.log("member.remove", "member", entity_id=member.id, workshop_id=member.workshop_id,
                   group_id=member.group_id, name=member.name)
            tx.session.delete(member)

    def find_member(self, member_id: int) -> Member:
        with self.read() as s:
            member = s.get(Member, member_id)
        if member is None:
            raise NotFound(f"no member #{member_id}")
        return member

    def find_member_by_token_hash(self, token_hash: str) -> Member:
        with self.read() as s:
            member = s.scalar(select(Member).where(Member.token_hash == token_hash))
        if member is None:
            raise NotFound("no member with that link")
        return member

    def find_members(self, workshop_id: int) -> list[Member]:
        with self.read() as s:
            return list(
                s.scalars(
                    select(Member).where(Member.workshop_id == workshop_id)
                    .order_by(Member.joined_at, Member.id)
                )
            )

    # -- cards ---------------------------------------------------------------------------
    def add_card(self, actor: str, *, workshop_id: int, group_id: int, canvas: str, column: str,
                 text: str, author_id: int | None, parent_id: int | None = None,
                 fields: dict | None = None) -> Card:
        now = utcnow()
        with self.write(actor) as tx:
            card = Card(workshop_id=workshop_id, group_id=group_id, canvas=canvas, column=column,
                        text=text, author_id=author_id, created_at=now, updated_at=now,
                        parent_id=parent_id, fields=dict(fields or {}), decided=False)
            tx.session.add(card)
            tx.session.flush()
            _status_history(tx, card, None)
            tx.log("card.add", "card", card, workshop_id=workshop_id, group_id=group_id,
                   canvas=canvas, column=column, text=text, parent_id=parent_id,
                   fields=card.fields)
        return card

    def find_card(self, card_id: int) -> Card:
        with self.read() as s:
            card = s.get(Card, card_id)
        if card is None:
            raise NotFound(f"no card #{card_id}")
        return card

    def find_cards(self, workshop_id: int, *, group_id: int | None = None,
                   canvas: str | None = None) -> list[Card]:
        query = _board_query(Card, workshop_id, group_id, canvas)
        with self.read() as s:
            return list(s.scalars(query.order_by(Card.created_at, Card.id)))

    def update_card(self, actor: str, card_id: int, *, text: str = _UNSET, fields: dict = _UNSET,
                    parent_id: int | None = _UNSET, decided: bool = _UNSET,
                    expect_updated_at=None) -> Card:
        """Change what is given. With ``expect_updated_at``, refuse (Conflict) if someone
        else changed the card since that version was read."""
        changes = {k: v for k, v in (("text", text), ("fields", fields), ("parent_id", parent_id),
                                     ("decided", decided)) if v is not _UNSET}
        with self.write(actor) as tx:
            # Lock the row before comparing versions: on PostgreSQL two saves from one version
            # would otherwise both pass the check and the later would overwrite the earlier.
            card = tx.session.get(Card, card_id, with_for_update=True)
            if card is None:
                raise NotFound(f"no card #{card_id}")
            if expect_updated_at is not None and card.updated_at != expect_updated_at:
                raise Conflict(f"card #{card_id} was changed by someone else")
            before = {k: getattr(card, k) for k in changes}
            old_status = (card.fields or {}).get("status")
            for key, value in changes.items():
                setattr(card, key, dict(value) if key == "fields" else value)
            _status_history(tx, card, old_status)
            if set(changes) - {"decided"}:
                card.updated_at = utcnow()
            tx.log("card.update", "card", card, workshop_id=card.workshop_id,
                   group_id=card.group_id, canvas=card.canvas, column=card.column,
                   **{k: getattr(card, k) for k in changes},
                   before={k: v for k, v in before.items()})
        return card

    def remove_card(self, actor: str, card_id: int) -> None:
        with self.write(actor) as tx:
            card = tx.session.get(Card, card_id, with_for_update=True)  # one delete wins
            if card is None:
                raise NotFound(f"no card #{card_id}")
            tx.log("card.remove", "card", entity_id=card.id, workshop_id=card.workshop_id,
                   group_id=card.group_id, canvas=card.canvas, column=card.column, text=card.text)
            tx.session.delete(card)

    def find_cards_by_id(self, card_ids) -> list[Card]:
        ids = list(card_ids)
        if not ids:
            return []
        with self.read() as s:
            return list(s.scalars(select(Card).where(Card.id.in_(ids))))

    # -- scores --------------------------------------------------------------------------
    def set_score(self, actor: str, card: Card, member_id: int, criterion: str,
                  value: int | None) -> None:
        """Set (or with None, clear) one member's score of a card on one criterion."""
        with self.write(actor) as tx:
            row = tx.session.scalar(select(Score).where(
                Score.card_id == card.id, Score.member_id == member_id,
                Score.criterion == criterion))
            if value is None:
                if row is not None:
                    tx.session.delete(row)
            elif row is None:
                tx.session.add(Score(workshop_id=card.workshop_id, group_id=card.group_id,
                                     card_id=card.id, member_id=member_id, criterion=criterion,
                                     value=value, entered_by=actor, updated_at=utcnow()))
            else:
                row.value, row.entered_by, row.updated_at = value, actor, utcnow()
            tx.log("score.set", "score", entity_id=card.id, workshop_id=card.workshop_id,
                   group_id=card.group_id, canvas=card.canvas, card_id=card.id,
                   member_id=member_id, criterion=criterion, value=value)

    def find_scores(self, workshop_id: int, *, group_id: int | None = None,
                    canvas: str | None = None) -> list[Score]:
        query = select(Score).where(Score.workshop_id == workshop_id)
        if group_id is not None:
            query = query.where(Score.group_id == group_id)
        if canvas is not None:
            query = query.join(Card, Card.id == Score.card_id).where(Card.canvas == canvas)
        with self.read() as s:
            return list(s.scalars(query.order_by(Score.id)))

    # -- votes ---------------------------------------------------------------------------
    def add_vote(self, actor: str, card: Card, member_id: int, *, budget: int, cap: int) -> Vote:
        """One more dot from ``member_id`` on ``card``, within the member's ``budget`` on the
        canvas and the ``cap`` per card. Raises Conflict("budget"/"cap") when spent."""
        with self.write(actor) as tx:
            # Serialise one member's votes (a row lock on PostgreSQL; SQLite writes are serial).
            tx.session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
            mine = select(func.count(Vote.id)).where(
                Vote.member_id == member_id, Vote.workshop_id == card.workshop_id,
                Vote.group_id == card.group_id, Vote.canvas == card.canvas)
            if tx.session.scalar(mine) >= budget:
                raise Conflict("budget")
            if tx.session.scalar(mine.where(Vote.card_id == card.id)) >= cap:
                raise Conflict("cap")
            vote = Vote(workshop_id=card.workshop_id, group_id=card.group_id, canvas=card.canvas,
                        card_id=card.id, member_id=member_id, entered_by=actor, at=utcnow())
            tx.session.add(vote)
            tx.session.flush()
            tx.log("vote.add", "vote", vote, workshop_id=card.workshop_id, group_id=card.group_id,
                   canvas=card.canvas, card_id=card.id, member_id=member_id)
        return vote

    def remove_vote(self, actor: str, card: Card, member_id: int) -> bool:
        """Take back one of ``member_id``'s dots on ``card``; False when there was none."""
        with self.write(actor) as tx:
            # One member's votes one at a time (two devices taking back at once take two dots).
            tx.session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
            vote_id = tx.session.scalar(select(Vote.id).where(
                Vote.card_id == card.id, Vote.member_id == member_id).order_by(Vote.id.desc()))
            if vote_id is None:
                return False
            if not tx.session.execute(delete(Vote).where(Vote.id == vote_id)).rowcount:
                return False  # it went with its card a moment ago
            tx.log("vote.remove", "vote", entity_id=vote_id, workshop_id=card.workshop_id,
                   group_id=card.group_id, canvas=card.canvas, card_id=card.id,
                   member_id=member_id)
        return True

    def remove_votes(self, actor: str, workshop_id: int, group_id: int, canvas: str) -> int:
        """Clear every dot of one group on one canvas (a new round); returns how many."""
        with self.write(actor) as tx:
            n = tx.session.execute(delete(Vote).where(
                Vote.workshop_id == workshop_id, Vote.group_id == group_id,
                Vote.canvas == canvas)).rowcount
            tx.log("vote.clear", "vote", workshop_id=workshop_id, group_id=group_id,
                   canvas=canvas, removed=n)
        return n

    def find_votes(self, workshop_id: int, *, group_id: int | None = None,
                   canvas: str | None = None) -> list[Vote]:
        query = _board_query(Vote, workshop_id, group_id, canvas)
        with self.read() as s:
            return list(s.scalars(query.order_by(Vote.id)))

    # -- workshop options ----------------------------------------------------------------
    def update_workshop_options(self, actor: str, workshop_id: int, path: tuple[str, ...],
                                value: Any) -> Workshop:
        """Set one option at ``path`` (e.g. ``("vote", "restructure", "budget")``)."""
        with self.write(actor) as tx:
            ws = tx.session.get(Workshop, workshop_id)
            if ws is None:
                raise NotFound(f"no workshop #{workshop_id}")
            options = copy.deepcopy(ws.options or {})
            node = options
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
            ws.options = options
            tx.log("workshop.options", "workshop", ws, workshop_id=ws.id, path=list(path),
                   value=value)
        return ws

    # -- the live room -------------------------------------------------------------------
    def update_room(self, actor: str, workshop_id: int, action: str,
                    mutate: Callable[[dict], RoomEdit | None], *,
                    group_id: int | None = None) -> Workshop:
        """Change the room state: ``mutate`` edits a copy of the document in place, inside
        the transaction and under a lock on the workshop row, so two facilitator pages never
        lose each other's changes. One change row with ``action`` records it."""
        with self.write(actor) as tx:
            ws = tx.session.get(Workshop, workshop_id, with_for_update=True)
            if ws is None:
                raise NotFound(f"no workshop #{workshop_id}")
            room = copy.deepcopy(ws.room or {})
            edit = mutate(room) or RoomEdit()
            self._save_room(tx, ws, room, edit, action, group_id)
        return ws

    def update_room_if(self, actor: str, workshop_id: int, action: str, before: dict,
                       after: dict, edit: RoomEdit, *, group_id: int | None = None) -> Workshop:
        """Change the room state from ``before`` to ``after``, unless someone changed it in
        between (:class:`RoomChanged`, nothing written): :meth:`update_room` for a caller that
        cannot hand the store a function (:mod:`actionlab.remotestore` tries again)."""
        with self.write(actor) as tx:
            ws = tx.session.get(Workshop, workshop_id, with_for_update=True)
            if ws is None:
                raise NotFound(f"no workshop #{workshop_id}")
            if (ws.room or {}) != before:
                raise RoomChanged("the room changed meanwhile")
            self._save_room(tx, ws, copy.deepcopy(after), edit, action, group_id)
        return ws

    @staticmethod
    def _save_room(tx: WriteTx, ws: Workshop, room: dict, edit: RoomEdit, action: str,
                   group_id: int | None) -> None:
        ws.room = room
        for row in edit.rows:
            tx.session.add(_mapped(row))
        tx.session.flush()
        tx.log(action, "room", ws, workshop_id=ws.id, group_id=group_id, **edit.payload)

    def touch_member(self, member_id: int, when=None) -> None:
        """Mark the member's page as open now (presence). No change row: this is not an edit."""
        with self.write("presence") as tx:
            tx.session.execute(update(Member).where(Member.id == member_id)
                               .values(last_seen=when or utcnow()))

    # -- meetings ------------------------------------------------------------------------
    def add_meeting(self, actor: str, *, workshop_id: int, kind: str, title: str, agenda: list,
                    held_on=None) -> Meeting:
        with self.write(actor) as tx:
            number = (tx.session.scalar(select(func.max(Meeting.number))
                                        .where(Meeting.workshop_id == workshop_id)) or 0) + 1
            meeting = Meeting(workshop_id=workshop_id, number=number, kind=kind, title=title,
                              agenda=list(agenda), held_on=held_on, created_at=utcnow())
            tx.session.add(meeting)
            tx.session.flush()
            tx.log("meeting.add", "meeting", meeting, workshop_id=workshop_id, number=number,
                   kind=kind, title=title)
        return meeting

    def update_meeting(self, actor: str, meeting_id: int, **changes) -> Meeting:
        unknown = set(changes) - set(MEETING_FIELDS)
        if unknown:
            raise StoreError(f"unknown meeting fields {sorted(unknown)}")
        with self.write(actor) as tx:
            meeting = tx.session.get(Meeting, meeting_id)
            if meeting is None:
                raise NotFound(f"no meeting #{meeting_id}")
            for key, value in changes.items():
                setattr(meeting, key, value)
            tx.log("meeting.update", "meeting", meeting, workshop_id=meeting.workshop_id,
                   **{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                      for k, v in changes.items()})
        return meeting

    def find_meetings(self, workshop_id: int) -> list[Meeting]:
        with self.read() as s:
            return list(s.scalars(select(Meeting).where(Meeting.workshop_id == workshop_id)
                                  .order_by(Meeting.number)))

    def find_meeting(self, meeting_id: int) -> Meeting:
        with self.read() as s:
            meeting = s.get(Meeting, meeting_id)
        if meeting is None:
            raise NotFound(f"no meeting #{meeting_id}")
        return meeting

    def set_attendance(self, actor: str, meeting: Meeting, member_id: int, status: str | None,
                       *, only_if_unmarked: bool = False) -> bool:
        """Mark (or with None, unmark) a member at a meeting. With ``only_if_unmarked`` an
        existing mark stays (a page opening never overrides the facilitator). True if written."""
        with self.write(actor) as tx:
            row = tx.session.scalar(select(Attendance).where(
                Attendance.meeting_id == meeting.id, Attendance.member_id == member_id))
            if row is not None and (only_if_unmarked or row.status == status):
                return False
            if status is None:
                if row is None:
                    return False
                tx.session.delete(row)
            elif row is None:
                tx.session.add(Attendance(meeting_id=meeting.id, member_id=member_id,
                                          status=status, marked_by=actor, at=utcnow()))
            else:
                row.status, row.marked_by, row.at = status, actor, utcnow()
            tx.log("attendance.set", "attendance", entity_id=member_id,
                   workshop_id=meeting.workshop_id, meeting_id=meeting.id, member_id=member_id,
                   status=status)
        return True

    def find_attendance(self, meeting_id: int) -> list[Attendance]:
        with self.read() as s:
            return list(s.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id)
                                  .order_by(Attendance.id)))

    def find_turns(self, workshop_id: int, *, meeting_id: int | None = None,
                   group_id: int | None = None) -> list[SpeakingTurn]:
        query = select(SpeakingTurn).where(SpeakingTurn.workshop_id == workshop_id)
        if meeting_id is not None:
            query = query.where(SpeakingTurn.meeting_id == meeting_id)
        if group_id is not None:
            query = query.where(SpeakingTurn.group_id == group_id)
        with self.read() as s:
            return list(s.scalars(query.order_by(SpeakingTurn.id)))

    def find_questions_asked(self, workshop_id: int) -> list[QuestionAsked]:
        with self.read() as s:
            return list(s.scalars(select(QuestionAsked)
                                  .where(QuestionAsked.workshop_id == workshop_id)
                                  .order_by(QuestionAsked.id)))

    # -- readiness answers ---------------------------------------------------------------
    def set_prompt_answer(self, actor: str, *, workshop_id: int, group_id: int | None,
                          prompt: int, member_id: int, answer: str) -> None:
        with self.write(actor) as tx:
            row = tx.session.scalar(select(PromptAnswer).where(
                PromptAnswer.workshop_id == workshop_id, PromptAnswer.prompt == prompt,
                PromptAnswer.member_id == member_id))
            if row is None:
                tx.session.add(PromptAnswer(workshop_id=workshop_id, prompt=prompt,
                                            member_id=member_id, answer=answer, at=utcnow()))
            else:
                row.answer, row.at = answer, utcnow()
            tx.log("prompt.answer", "prompt", entity_id=prompt, workshop_id=workshop_id,
                   group_id=group_id, member_id=member_id, answer=answer)

    def find_prompt_answers(self, workshop_id: int, prompt: int) -> list[PromptAnswer]:
        with self.read() as s:
            return list(s.scalars(select(PromptAnswer).where(
                PromptAnswer.workshop_id == workshop_id, PromptAnswer.prompt == prompt)))

    # -- follow-up: progress, reflections, lessons, decisions, surveys, assessment --------
    def _find(self, model, workshop_id: int, **filters) -> list:
        """Rows of one workshop, filtered on the given columns (None means any), oldest first."""
        query = select(model).where(model.workshop_id == workshop_id)
        for column, value in filters.items():
            if value is not None:
                query = query.where(getattr(model, column) == value)
        with self.read() as s:
            return list(s.scalars(query.order_by(model.id)))

    @staticmethod
    def _upsert(tx: WriteTx, model, key: dict, values: dict):
        """The row with ``key`` (inserted if missing) with ``values`` set; returns (row, new)."""
        row = tx.session.scalar(select(model).filter_by(**key))
        new = row is None
        if new:
            row = model(**key)
            tx.session.add(row)
        for column, value in values.items():
            setattr(row, column, value)
        tx.session.flush()
        return row, new

    def set_progress_report(self, actor: str, *, workshop_id: int, meeting_id: int | None,
                            group_id: int, member_id: int, done: str, problems: str, help: str,
                            statuses: dict[int, tuple[str, str]] | None = None,
                            at=None) -> ProgressReport:
        """A member's report at a meeting (replacing their earlier one), and the new status of
        each of their actions (``{card_id: (status, note)}``), in one transaction."""
        now = at or utcnow()
        with self.write(actor) as tx:
            report, new = self._upsert(
                tx, ProgressReport,
                {"workshop_id": workshop_id, "meeting_id": meeting_id, "member_id": member_id},
                {"group_id": group_id, "done": done, "problems": problems, "help": help,
                 "updated_at": now})
            if new:
                report.created_at = now
            for card_id, (status, note) in (statuses or {}).items():
                card = tx.session.get(Card, card_id)
                if card is None or card.workshop_id != workshop_id:
                    raise NotFound(f"no card #{card_id}")
                old = (card.fields or {}).get("status")
                if status == old and not note:
                    continue
                card.fields = {**(card.fields or {}), "status": status}
                card.updated_at = now
                if status == old:  # a note on an unchanged status is history too
                    tx.session.add(ActionUpdate(
                        workshop_id=workshop_id, group_id=card.group_id, card_id=card.id,
                        meeting_id=meeting_id, report_id=report.id, status=status, before=old,
                        note=note, entered_by=actor, at=now))
                else:
                    _status_history(tx, card, old, meeting_id=meeting_id, report_id=report.id,
                                    note=note, at=now)
                tx.log("card.update", "card", card, workshop_id=workshop_id,
                       group_id=card.group_id, canvas=card.canvas, column=card.column,
                       fields=card.fields, before={"status": old})
            tx.log("progress.set", "progress", report, workshop_id=workshop_id, group_id=group_id,
                   meeting_id=meeting_id, member_id=member_id)
        return report

    def find_progress_reports(self, workshop_id: int, *, meeting_id: int | None = None,
                              group_id: int | None = None) -> list[ProgressReport]:
        return self._find(ProgressReport, workshop_id, meeting_id=meeting_id, group_id=group_id)

    def find_action_updates(self, workshop_id: int, *, group_id: int | None = None,
                            card_id: int | None = None) -> list[ActionUpdate]:
        return self._find(ActionUpdate, workshop_id, group_id=group_id, card_id=card_id)

    def set_reflection(self, actor: str, *, workshop_id: int, meeting_id: int,
                       group_id: int | None, member_id: int, quality: int, own_part: int,
                       improvement: str, at=None) -> Reflection:
        now = at or utcnow()
        with self.write(actor) as tx:
            row, new = self._upsert(
                tx, Reflection, {"workshop_id": workshop_id, "meeting_id": meeting_id,
                                 "member_id": member_id},
                {"group_id": group_id, "quality": quality, "own_part": own_part,
                 "improvement": improvement, "updated_at": now})
            if new:
                row.created_at = now
            tx.log("reflection.set", "reflection", row, workshop_id=workshop_id,
                   group_id=group_id, meeting_id=meeting_id, member_id=member_id)
        return row

    def find_reflections(self, workshop_id: int, *, meeting_id: int | None = None,
                         group_id: int | None = None) -> list[Reflection]:
        return self._find(Reflection, workshop_id, meeting_id=meeting_id, group_id=group_id)

    def add_lesson(self, actor: str, *, workshop_id: int, stage: str, text: str,
                   group_id: int | None = None, meeting_id: int | None = None,
                   member_id: int | None = None, author: str = "", at=None) -> Lesson:
        with self.write(actor) as tx:
            row = Lesson(workshop_id=workshop_id, stage=stage, text=text, group_id=group_id,
                         meeting_id=meeting_id, member_id=member_id, author=author or actor,
                         at=at or utcnow())
            tx.session.add(row)
            tx.session.flush()
            tx.log("lesson.add", "lesson", row, workshop_id=workshop_id, group_id=group_id,
                   stage=stage, text=text, meeting_id=meeting_id)
        return row

    def remove_lesson(self, actor: str, lesson_id: int) -> None:
        with self.write(actor) as tx:
            row = tx.session.get(Lesson, lesson_id)
            if row is None:
                raise NotFound(f"no lesson #{lesson_id}")
            tx.log("lesson.remove", "lesson", entity_id=row.id, workshop_id=row.workshop_id,
                   group_id=row.group_id, text=row.text)
            tx.session.delete(row)

    def find_lessons(self, workshop_id: int, *, stage: str | None = None,
                     group_id: int | None = None) -> list[Lesson]:
        return self._find(Lesson, workshop_id, stage=stage, group_id=group_id)

    def add_decision(self, actor: str, *, workshop_id: int, group_id: int,
                     meeting_id: int | None, proposal: str, outcome: str, reasons: str,
                     conditions: str, at=None) -> Decision:
        with self.write(actor) as tx:
            row = Decision(workshop_id=workshop_id, group_id=group_id, meeting_id=meeting_id,
                           proposal=proposal, outcome=outcome, reasons=reasons,
                           conditions=conditions, decided_by=actor, at=at or utcnow())
            tx.session.add(row)
            tx.session.flush()
            tx.log("decision.add", "decision", row, workshop_id=workshop_id, group_id=group_id,
                   meeting_id=meeting_id, outcome=outcome)
        return row

    def find_decisions(self, workshop_id: int, *, group_id: int | None = None,
                       meeting_id: int | None = None) -> list[Decision]:
        return self._find(Decision, workshop_id, group_id=group_id, meeting_id=meeting_id)

    def set_survey_answers(self, actor: str, *, workshop_id: int, survey: str, member_id: int,
                           group_id: int | None, answers: dict[str, tuple[int | None, str | None]],
                           at=None) -> int:
        """A member's answers to a survey (``{question: (value, text)}``), replacing earlier
        answers to the same questions, in one transaction. Returns how many were written."""
        now = at or utcnow()
        with self.write(actor) as tx:
            for question, (value, text) in answers.items():
                self._upsert(tx, SurveyAnswer,
                             {"workshop_id": workshop_id, "survey": survey,
                              "member_id": member_id, "question": question},
                             {"group_id": group_id, "value": value, "text": text, "at": now})
            tx.log("survey.answer", "survey", entity_id=member_id, workshop_id=workshop_id,
                   group_id=group_id, survey=survey, questions=sorted(answers))
        return len(answers)

    def find_survey_answers(self, workshop_id: int, *, survey: str | None = None,
                            member_id: int | None = None) -> list[SurveyAnswer]:
        return self._find(SurveyAnswer, workshop_id, survey=survey, member_id=member_id)

    def set_assessment_score(self, actor: str, *, workshop_id: int, member_id: int,
                             component: str, value: float | None) -> None:
        """Set (or with None, clear) a member's score on one assessment component."""
        with self.write(actor) as tx:
            key = {"workshop_id": workshop_id, "member_id": member_id, "component": component}
            if value is None:
                row = tx.session.scalar(select(AssessmentScore).filter_by(**key))
                if row is None:
                    return
                tx.session.delete(row)
            else:
                self._upsert(tx, AssessmentScore, key,
                             {"value": float(value), "entered_by": actor, "at": utcnow()})
            tx.log("assessment.set", "assessment", entity_id=member_id, workshop_id=workshop_id,
                   member_id=member_id, component=component, value=value)

    def find_assessment_scores(self, workshop_id: int) -> list[AssessmentScore]:
        return self._find(AssessmentScore, workshop_id)

    def set_times(self, actor: str, workshop_id: int, table: str, ids, **times) -> int:
        """Set the timestamp columns (``created_at``, ``at`` …) of rows of ``table`` by id: a
        demo or an imported record carries the times things really happened."""
        model = next((m.class_ for m in Base.registry.mappers if m.class_.__tablename__ == table), None)
        if model is None or not times or any(
                not (k.endswith("_at") or k in ("at", "held_on")) or not hasattr(model, k) for k in times):
            raise StoreError(f"no timestamps {sorted(times)} on {table!r}")
        ids = list(ids)
        if not ids:
            return 0
        with self.write(actor) as tx:
            done = tx.session.execute(update(model).where(model.id.in_(ids)).values(**times)).rowcount
            tx.log("times.set", table, workshop_id=workshop_id, ids=ids,
                   **{k: v.isoformat() for k, v in times.items()})
        return done

    # -- change log ----------------------------------------------------------------------
    def find_changes(self, *, after: int = 0, workshop_id: int | None = None,
                     limit: int = 1000) -> list[Change]:
        """Changes with a revision above ``after``, oldest first (one indexed query)."""
        query = select(Change).where(Change.revision > after)
        if workshop_id is not None:
            query = query.where(Change.workshop_id == workshop_id)
        with self.read() as s:
            return list(s.scalars(query.order_by(Change.revision).limit(limit)))

    def find_latest_revision(self) -> int:
        with self.read() as s:
            return s.scalar(select(RevisionCounter.value).where(RevisionCounter.id == 1)) or 0

    # -- server state --------------------------------------------------------------------
    def find_server_state(self, name: str) -> dict:
        """The named server document (empty when never written)."""
        with self.read() as s:
            row = s.get(ServerState, name)
            return copy.deepcopy(row.value) if row is not None else {}

    def update_server_state(self, name: str, mutate: Callable[[dict], Any]) -> dict:
        """Change the named server document: ``mutate`` edits a copy in place inside the
        transaction, under a lock on its row, so concurrent pages never lose each other's
        updates. No change-log row: it belongs to no workshop. Returns the new document."""
        with self.read() as s:
            exists = s.get(ServerState, name) is not None
        if not exists:
            try:
                with self.write("system") as tx:
                    tx.session.add(ServerState(name=name, value={}, updated_at=utcnow()))
            except Conflict:  # another page made it first
                pass
        with self.write("system") as tx:
            row = tx.session.get(ServerState, name, with_for_update=True)
            value = copy.deepcopy(row.value or {})
            mutate(value)
            row.value = value
            row.updated_at = utcnow()
        return value

    # -- facilitator keys ----------------------------------------------------------------
    def add_facilitator_key(self, actor: str, key_hash: str, *, keep: int = 5) -> None:
        """Store a key hash; only the newest ``keep`` keys stay valid. Several rooms starting
        at once with one key store it once: the ones that lose the race find it stored."""
        try:
            self._add_facilitator_key(actor, key_hash, keep)
        except Conflict:
            if key_hash not in self.find_facilitator_key_hashes():
                raise

    def _add_facilitator_key(self, actor: str, key_hash: str, keep: int) -> None:
        with self.write(actor) as tx:
            exists = tx.session.scalar(select(FacilitatorKey).where(FacilitatorKey.key_hash == key_hash))
            if exists is None:
                tx.session.add(FacilitatorKey(key_hash=key_hash, created_at=utcnow()))
                tx.session.flush()
                tx.log("key.add", "facilitator_key")
            old = list(
                tx.session.scalars(
                    select(FacilitatorKey).order_by(FacilitatorKey.id.desc()).offset(keep)
                )
            )
            for row in old:
                tx.session.delete(row)

    def find_facilitator_key_hashes(self) -> list[str]:
        with self.read() as s:
            return list(s.scalars(select(FacilitatorKey.key_hash)))

    # -- backup and restore (see actionlab.backup) ----------------------------------------
    def find_workshop_rows(self, workshop_id: int, tables: list[str]) -> dict[str, list]:
        """The rows of ``tables`` that belong to one workshop (``"workshops"``: its own row),
        each table in primary-key order (the change log in revision order), all read in one
        consistent snapshot: what a full backup holds."""
        with self.read() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            found = {}
            for table in tables:
                model = table_model(table)
                if model is Workshop:
                    query = select(Workshop).where(Workshop.id == workshop_id)
                elif model is Attendance:
                    query = select(Attendance).where(Attendance.meeting_id.in_(
                        select(Meeting.id).where(Meeting.workshop_id == workshop_id)))
                else:
                    query = select(model).where(model.workshop_id == workshop_id)
                found[table] = list(s.scalars(query.order_by(*model.__table__.primary_key.columns)))
        return found

    def restore(self, actor: str, fill: Callable[[RowWriter], Any]) -> Any:
        """Run ``fill`` with a :class:`RowWriter` in one write transaction and return what it
        returns: every row it writes is kept, or (on any error) none."""
        from sqlalchemy.exc import DataError

        try:
            with self.write(actor) as tx:
                return fill(RowWriter(tx))
        except DataError as exc:
            raise StoreError(f"the database refused a value: {exc.orig}") from exc


def table_model(table: str):
    """The model class of a table name."""
    for mapper in Base.registry.mappers:
        if mapper.class_.__tablename__ == table:
            return mapper.class_
    raise StoreError(f"no table {table!r}")


class RowWriter:
    """Writes rows as given, inside one transaction of :meth:`Store.restore`: the database
    hands out the ids, only the schema's own constraints are checked, and no change-log row
    is added besides the ones given to :meth:`add_changes` or :meth:`log`."""

    def __init__(self, tx: WriteTx):
        self.tx = tx

    def insert(self, table: str, rows: list[dict]) -> list[int]:
        """Insert ``rows`` (column → value) in order; returns their new ids in that order."""
        model = table_model(table)
        objs = [model(**row) for row in rows]
        self.tx.session.add_all(objs)
        self.tx.session.flush()
        return [obj.id for obj in objs]

    def update(self, table: str, rows: list[dict]) -> None:
        """Set columns of existing rows, each given with its ``id``."""
        if rows:
            self.tx.session.execute(update(table_model(table)), rows)

    def taken(self, table: str, column: str, values) -> set:
        """Which of ``values`` ``column`` already holds (a join code, a link's hash)."""
        values = [v for v in values if v is not None]
        if not values:
            return set()
        col = getattr(table_model(table), column)
        return set(self.tx.session.scalars(select(col).where(col.in_(values))))

    def add_changes(self, rows: list[dict]) -> None:
        """Change-log rows as they were (actor, time, payload …), given the next revisions."""
        if not rows:
            return
        last = self.tx.session.execute(
            update(RevisionCounter).where(RevisionCounter.id == 1)
            .values(value=RevisionCounter.value + len(rows)).returning(RevisionCounter.value)
        ).scalar_one()
        self.tx.session.add_all(Change(revision=last - len(rows) + 1 + i, **row)
                                for i, row in enumerate(rows))
        self.tx.session.flush()

    def log(self, action: str, entity: str, **kwargs) -> None:
        """One change row by the transaction's actor, written at commit (see WriteTx.log)."""
        self.tx.log(action, entity, **kwargs)
