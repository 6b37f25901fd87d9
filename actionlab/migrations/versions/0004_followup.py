"""Follow-up across months: progress reports, action status history, reflections, the
lessons log, decisions on proposals, survey answers and member assessment scores.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def _id():
    return sa.Column("id", sa.Integer(), primary_key=True)


def _workshop(table: str):
    """The workshop column, its foreign key and its index (every table here has them)."""
    return sa.Column("workshop_id", sa.Integer(), nullable=False), _fk(table, "workshop_id", "workshops")


def _table(name: str, *columns, unique: tuple[str, ...] = ()) -> None:
    workshop, fk = _workshop(name)
    extra = [sa.UniqueConstraint(*unique, name=f"uq_{name}_{'_'.join(unique)}")] if unique else []
    op.create_table(name, _id(), workshop, *columns, fk,
                    sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")), *extra)
    op.create_index(op.f(f"ix_{name}_workshop_id"), name, ["workshop_id"])


TABLES = ("assessment_scores", "survey_answers", "decisions", "lessons", "reflections",
          "action_updates", "progress_reports")


def upgrade() -> None:
    _table(
        "progress_reports",
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("help", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("progress_reports", "meeting_id", "meetings", "SET NULL"),
        _fk("progress_reports", "group_id", "groups"),
        _fk("progress_reports", "member_id", "members"),
        unique=("meeting_id", "member_id"),
    )
    _table(
        "action_updates",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("before", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("action_updates", "group_id", "groups"),
        _fk("action_updates", "card_id", "cards"),
        _fk("action_updates", "meeting_id", "meetings", "SET NULL"),
        _fk("action_updates", "report_id", "progress_reports", "SET NULL"),
    )
    op.create_index(op.f("ix_action_updates_card_id"), "action_updates", ["card_id"])
    _table(
        "reflections",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("own_part", sa.Integer(), nullable=False),
        sa.Column("improvement", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("reflections", "meeting_id", "meetings"),
        _fk("reflections", "group_id", "groups", "SET NULL"),
        _fk("reflections", "member_id", "members"),
        unique=("meeting_id", "member_id"),
    )
    _table(
        "lessons",
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("lessons", "group_id", "groups"),
        _fk("lessons", "meeting_id", "meetings", "SET NULL"),
        _fk("lessons", "member_id", "members", "SET NULL"),
    )
    _table(
        "decisions",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("decisions", "group_id", "groups"),
        _fk("decisions", "meeting_id", "meetings", "SET NULL"),
    )
    _table(
        "survey_answers",
        sa.Column("survey", sa.String(40), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("survey_answers", "member_id", "members"),
        _fk("survey_answers", "group_id", "groups", "SET NULL"),
        unique=("workshop_id", "survey", "member_id", "question"),
    )
    _table(
        "assessment_scores",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("assessment_scores", "member_id", "members"),
        unique=("member_id", "component"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_action_updates_card_id"), table_name="action_updates")
    for name in TABLES:
        op.drop_index(op.f(f"ix_{name}_workshop_id"), table_name=name)
        op.drop_table(name)
