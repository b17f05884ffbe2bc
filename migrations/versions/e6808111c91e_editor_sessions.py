"""Editor sessions: one row per signed-in browser, so that signing out ends only that one

Revision ID: e6808111c91e
Revises: a8e2c6d4f913
Create Date: 2026-12-07 15:30:00.000000

Sessions signed in before this revision name the old per-account token (users.session_token),
which nothing reads any more: they sign in again. The column stays for now.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e6808111c91e"
down_revision = "a8e2c6d4f913"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "editor_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_editor_sessions_user_id", "editor_sessions", ["user_id"])


def downgrade():
    op.drop_table("editor_sessions")
