"""Foundation: workshops, groups, members, cards, the change log and facilitator keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("group_count", sa.Integer(), nullable=False),
        sa.Column("canvases", sa.JSON(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("code", name=op.f("uq_workshops_code")),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshops.id"], ondelete="CASCADE",
            name=op.f("fk_groups_workshop_id_workshops"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("workshop_id", "number", name="uq_groups_workshop_number"),
    )
    op.create_index(op.f("ix_groups_workshop_id"), "groups", ["workshop_id"])
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshops.id"], ondelete="CASCADE",
            name=op.f("fk_members_workshop_id_workshops"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], ondelete="SET NULL",
            name=op.f("fk_members_group_id_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_members_token_hash")),
    )
    op.create_index(op.f("ix_members_workshop_id"), "members", ["workshop_id"])
    op.create_index(op.f("ix_members_group_id"), "members", ["group_id"])
    op.create_table(
        "cards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("canvas", sa.String(40), nullable=False),
        sa.Column("column", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshops.id"], ondelete="CASCADE",
            name=op.f("fk_cards_workshop_id_workshops"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], ondelete="CASCADE", name=op.f("fk_cards_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["members.id"], ondelete="SET NULL",
            name=op.f("fk_cards_author_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
    )
    op.create_index("ix_cards_board", "cards", ["workshop_id", "group_id", "canvas"])
    op.create_table(
        "changes",
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_workshop_revision", "changes", ["workshop_id", "revision"])
    counter = op.create_table(
        "revision_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_counter")),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])
    op.create_table(
        "facilitator_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitator_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_facilitator_keys_key_hash")),
    )


def downgrade() -> None:
    for table in ("facilitator_keys", "revision_counter", "changes", "cards", "members", "groups", "workshops"):
        op.drop_table(table)
