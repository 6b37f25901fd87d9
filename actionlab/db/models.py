"""SQLAlchemy 2 models. The schema is created only through the Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Workshop(Base):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    group_count: Mapped[int] = mapped_column(Integer)
    canvases: Mapped[list] = mapped_column(JSON, default=list)
    #: Facilitator's settings per canvas: vote budget and cap, criteria weights, revealed
    #: private columns (see :mod:`actionlab.services.options`).
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The live state of the room: steps, modes, timer, prompts, questions, queues
    #: (see :mod:`actionlab.services.roomstate`).
    room: Mapped[dict] = mapped_column(JSON, default=dict)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("workshop_id", "number", name="uq_groups_workshop_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(32), default="member")
    #: None for a person on the imported roster who has not joined from a device yet.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Roster profile (stage 2): what the diversity of a group is read from.
    unit: Mapped[str | None] = mapped_column(String(120), nullable=True)
    department: Mapped[str | None] = mapped_column(String(120), nullable=True)
    profession: Mapped[str | None] = mapped_column(String(120), nullable=True)
    level: Mapped[str | None] = mapped_column(String(80), nullable=True)
    gender: Mapped[str | None] = mapped_column(String(40), nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: The member's own sub-task (子课题) within the group's topic.
    subtask: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When the member's page last said it is open (presence; written without a change row).
    last_seen: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Card(Base):
    __tablename__ = "cards"
    # A deleted card's id is never given to a new card: a page still showing the old one must
    # not vote on, edit or delete the new one (SQLite reuses the highest id without this).
    __table_args__ = (Index("ix_cards_board", "workshop_id", "group_id", "canvas"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    canvas: Mapped[str] = mapped_column(String(40))
    column: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: The card this one answers or belongs to (a cause to its problem, a goal to the key problem).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("cards.id", ondelete="SET NULL"), nullable=True, index=True)
    #: Typed field values as defined by the column (kind, owner, deadline …).
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Agreed / chosen by the group (the chosen topic, the agreed key problem …).
    decided: Mapped[bool] = mapped_column(Boolean, default=False)


class Score(Base):
    """One member's score of one card on one criterion (1–5 ratings, fist-to-five)."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("card_id", "member_id", "criterion", name="uq_scores_card_member_criterion"),
        Index("ix_scores_board", "workshop_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)
    entered_by: Mapped[str] = mapped_column(String(80))  # the member, or the facilitator for a proxy
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Vote(Base):
    """One dot a member put on a card; several dots on one card are several rows."""

    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_board", "workshop_id", "group_id", "canvas"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    canvas: Mapped[str] = mapped_column(String(40))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    entered_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Meeting(Base):
    """One meeting of a workshop's programme, with its time-boxed agenda."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("workshop_id", "number", name="uq_meetings_workshop_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    #: ``[{"key", "title": {zh, en} | str, "minutes", "canvas"?, "kind"}]``
    agenda: Mapped[list] = mapped_column(JSON, default=list)
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_attendance_meeting_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # present | late | absent | excused
    marked_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SpeakingTurn(Base):
    """One turn in a group's round: who, how long they had, how long they spoke, or why not."""

    __tablename__ = "speaking_turns"
    __table_args__ = (Index("ix_speaking_turns_workshop", "workshop_id", "meeting_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    member_name: Mapped[str] = mapped_column(String(80))
    allotted: Mapped[int] = mapped_column(Integer)  # seconds
    spoken: Mapped[int] = mapped_column(Integer)  # seconds
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PromptAnswer(Base):
    """A member's answer to the facilitator's readiness prompt (ready / need more time)."""

    __tablename__ = "prompt_answers"
    __table_args__ = (UniqueConstraint("workshop_id", "prompt", "member_id",
                                       name="uq_prompt_answers_workshop_prompt_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    prompt: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QuestionAsked(Base):
    """A question the facilitator put to one group or to the room (the question log)."""

    __tablename__ = "questions_asked"
    __table_args__ = (Index("ix_questions_asked_workshop", "workshop_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    question_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(40), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProgressReport(Base):
    """What a member reports at a follow-up meeting: progress, problems met, help needed."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id",
                                       name="uq_progress_reports_meeting_id_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    done: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    help: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ActionUpdate(Base):
    """One change of an action's status, kept as history (stage 5 tracking)."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_reports.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    before: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Reflection(Base):
    """A member's review (回顾小结) at the end of a meeting."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id",
                                       name="uq_reflections_meeting_id_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    quality: Mapped[int] = mapped_column(Integer)  # the meeting, 1–5
    own_part: Mapped[int] = mapped_column(Integer)  # the member's own part, 1–5
    improvement: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Lesson(Base):
    """An entry of the lessons-learned log, filed under a stage of the programme."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Decision(Base):
    """The decision meeting's verdict on a group's proposal: adopt, revise or reject."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    proposal: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))  # adopt | revise | reject
    reasons: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SurveyAnswer(Base):
    """One member's answer to one question of a survey form (data/surveys/)."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("workshop_id", "survey", "member_id", "question",
                                       name="uq_survey_answers_workshop_id_survey_member_id_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    survey: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a Likert or choice index
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AssessmentScore(Base):
    """A member's score (0–100) on one component of the member assessment."""

    __tablename__ = "assessment_scores"
    __table_args__ = (UniqueConstraint("member_id", "component",
                                       name="uq_assessment_scores_member_id_component"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Change(Base):
    """The change log: one row per write, in revision order. Audit trail and live feed."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_workshop_revision", "workshop_id", "revision"),)

    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    workshop_id: Mapped[int | None] = mapped_column(Integer)
    group_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RevisionCounter(Base):
    """A single row holding the last revision handed out.

    Writers bump it with ``UPDATE … RETURNING`` at the end of their transaction. The row lock
    (PostgreSQL) or the database write lock (SQLite) makes writers commit in revision order,
    so a reader that saw revision N never later finds a new row below N.
    """

    __tablename__ = "revision_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, default=0)


class FacilitatorKey(Base):
    __tablename__ = "facilitator_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ServerState(Base):
    """Small documents the whole server shares, by name, outside any workshop: the failed
    facilitator-key attempts (throttling), the last backup taken. Not in the change log: they
    are not edits of a workshop."""

    __tablename__ = "server_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
