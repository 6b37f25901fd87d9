"""Server state: small named documents shared by every page (failed key attempts, the last
backup taken). On SQLite, cards and votes get AUTOINCREMENT ids, so a deleted card's id is
never handed to a new card (PostgreSQL's sequences never reuse one).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_state")),
    )
    _autoincrement(True)


def _autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in ("cards", "votes"):
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": on}):
            pass


def downgrade() -> None:
    _autoincrement(False)
    op.drop_table("server_state")
