"""Canvases: typed card fields, card links, decisions, scores, votes, roster profiles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PROFILE = ("unit", 120), ("department", 120), ("profession", 120), ("level", 80), \
    ("gender", 40), ("age_band", 40)


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("members") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=True)
        for name, size in PROFILE:
            batch.add_column(sa.Column(name, sa.String(size), nullable=True))
        batch.add_column(sa.Column("subtask", sa.Text(), nullable=True))
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("decided", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key(op.f("fk_cards_parent_id_cards"), "cards", ["parent_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index(op.f("ix_cards_parent_id"), ["parent_id"])
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE",
                                name=op.f("fk_scores_workshop_id_workshops")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE",
                                name=op.f("fk_scores_group_id_groups")),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], ondelete="CASCADE",
                                name=op.f("fk_scores_card_id_cards")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE",
                                name=op.f("fk_scores_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scores")),
        sa.UniqueConstraint("card_id", "member_id", "criterion",
                            name="uq_scores_card_member_criterion"),
    )
    op.create_index("ix_scores_board", "scores", ["workshop_id", "group_id"])
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("canvas", sa.String(40), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE",
                                name=op.f("fk_votes_workshop_id_workshops")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE",
                                name=op.f("fk_votes_group_id_groups")),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], ondelete="CASCADE",
                                name=op.f("fk_votes_card_id_cards")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE",
                                name=op.f("fk_votes_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    op.create_index("ix_votes_board", "votes", ["workshop_id", "group_id", "canvas"])
    op.create_index(op.f("ix_votes_card_id"), "votes", ["card_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_votes_card_id"), table_name="votes")
    op.drop_index("ix_votes_board", table_name="votes")
    op.drop_table("votes")
    op.drop_index("ix_scores_board", table_name="scores")
    op.drop_table("scores")
    with op.batch_alter_table("cards") as batch:
        batch.drop_index(op.f("ix_cards_parent_id"))
        batch.drop_constraint(op.f("fk_cards_parent_id_cards"), type_="foreignkey")
        batch.drop_column("decided")
        batch.drop_column("fields")
        batch.drop_column("parent_id")
    # 0001 has no place for a roster member without a personal link; their cards stay,
    # without an author (what ON DELETE SET NULL does where foreign keys are enforced)
    op.execute("UPDATE cards SET author_id = NULL "
               "WHERE author_id IN (SELECT id FROM members WHERE token_hash IS NULL)")
    op.execute("DELETE FROM members WHERE token_hash IS NULL")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("subtask")
        for name, _size in reversed(PROFILE):
            batch.drop_column(name)
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=False)
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("options")
