"""Running the room: meetings with agendas, attendance, speaking turns, readiness answers,
questions asked, the live room state of a workshop and when a member's page was last seen.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("room", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("last_seen", sa.DateTime(), nullable=True))
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("agenda", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("meetings", "workshop_id", "workshops"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("workshop_id", "number", name="uq_meetings_workshop_number"),
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("marked_by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("attendance", "meeting_id", "meetings"),
        _fk("attendance", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_attendance_meeting_member"),
    )
    op.create_table(
        "speaking_turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("member_name", sa.String(80), nullable=False),
        sa.Column("allotted", sa.Integer(), nullable=False),
        sa.Column("spoken", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        _fk("speaking_turns", "workshop_id", "workshops"),
        _fk("speaking_turns", "meeting_id", "meetings", "SET NULL"),
        _fk("speaking_turns", "group_id", "groups"),
        _fk("speaking_turns", "member_id", "members", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speaking_turns")),
    )
    op.create_index("ix_speaking_turns_workshop", "speaking_turns", ["workshop_id", "meeting_id"])
    op.create_table(
        "prompt_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("prompt_answers", "workshop_id", "workshops"),
        _fk("prompt_answers", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_answers")),
        sa.UniqueConstraint("workshop_id", "prompt", "member_id",
                            name="uq_prompt_answers_workshop_prompt_member"),
    )
    op.create_table(
        "questions_asked",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("question_key", sa.String(40), nullable=True),
        sa.Column("purpose", sa.String(40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("questions_asked", "workshop_id", "workshops"),
        _fk("questions_asked", "meeting_id", "meetings", "SET NULL"),
        _fk("questions_asked", "group_id", "groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions_asked")),
    )
    op.create_index("ix_questions_asked_workshop", "questions_asked", ["workshop_id"])


def downgrade() -> None:
    op.drop_index("ix_questions_asked_workshop", table_name="questions_asked")
    op.drop_table("questions_asked")
    op.drop_table("prompt_answers")
    op.drop_index("ix_speaking_turns_workshop", table_name="speaking_turns")
    op.drop_table("speaking_turns")
    op.drop_table("attendance")
    op.drop_table("meetings")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("last_seen")
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("room")
