"""The store facade: the only code that opens database sessions.

Verbs are ``add_…``, ``find_…``, ``update_…``, ``remove_…``. Every write runs in one
transaction that also appends one change-log row per change, each with the next revision
(see :class:`actionlab.db.models.RevisionCounter`). Errors surface as the workbook's own
exceptions (:mod:`actionlab.errors`). Rules live in the services above, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import migrate
from .db.engine import make_engine
from .db.models import (
    Card,
    Change,
    FacilitatorKey,
    Group,
    Member,
    RevisionCounter,
    Workshop,
    utcnow,
)
from .errors import Conflict, NotFound, SchemaOutOfDate, StoreError


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


class Store:
    """Facade over one database. ``Store.open(url)`` checks the schema is current."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

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
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

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
                session.commit()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        except OperationalError as exc:
            raise StoreError(f"database unavailable: {exc.orig}") from exc

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
                   token_hash: str, role: str = "member") -> Member:
        with self.write(actor) as tx:
            member = Member(workshop_id=workshop_id, group_id=group_id, name=name, role=role,
                            token_hash=token_hash, joined_at=utcnow())
            tx.session.add(member)
            tx.session.flush()
            tx.log("member.add", "member", member, workshop_id=workshop_id, group_id=group_id,
                   name=name, role=role)
        return member

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
                 text: str, author_id: int | None) -> Card:
        now = utcnow()
        with self.write(actor) as tx:
            card = Card(workshop_id=workshop_id, group_id=group_id, canvas=canvas, column=column,
                        text=text, author_id=author_id, created_at=now, updated_at=now)
            tx.session.add(card)
            tx.session.flush()
            tx.log("card.add", "card", card, workshop_id=workshop_id, group_id=group_id,
                   canvas=canvas, column=column, text=text)
        return card

    def find_card(self, card_id: int) -> Card:
        with self.read() as s:
            card = s.get(Card, card_id)
        if card is None:
            raise NotFound(f"no card #{card_id}")
        return card

    def find_cards(self, workshop_id: int, *, group_id: int | None = None,
                   canvas: str | None = None) -> list[Card]:
        query = select(Card).where(Card.workshop_id == workshop_id)
        if group_id is not None:
            query = query.where(Card.group_id == group_id)
        if canvas is not None:
            query = query.where(Card.canvas == canvas)
        with self.read() as s:
            return list(s.scalars(query.order_by(Card.created_at, Card.id)))

    def update_card(self, actor: str, card_id: int, *, text: str) -> Card:
        with self.write(actor) as tx:
            card = tx.session.get(Card, card_id)
            if card is None:
                raise NotFound(f"no card #{card_id}")
            before = card.text
            card.text = text
            card.updated_at = utcnow()
            tx.log("card.update", "card", card, workshop_id=card.workshop_id,
                   group_id=card.group_id, canvas=card.canvas, column=card.column,
                   text=text, before=before)
        return card

    def remove_card(self, actor: str, card_id: int) -> None:
        with self.write(actor) as tx:
            card = tx.session.get(Card, card_id)
            if card is None:
                raise NotFound(f"no card #{card_id}")
            tx.log("card.remove", "card", entity_id=card.id, workshop_id=card.workshop_id,
                   group_id=card.group_id, canvas=card.canvas, column=card.column, text=card.text)
            tx.session.delete(card)

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

    # -- facilitator keys ----------------------------------------------------------------
    def add_facilitator_key(self, actor: str, key_hash: str, *, keep: int = 5) -> None:
        """Store a key hash; only the newest ``keep`` keys stay valid."""
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
