"""Readers' comments imported from WordPress

Revision ID: c8d2f4a6b1e3
Revises: c8f1d2a3b4e5
Create Date: 2026-12-07 20:15:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c8d2f4a6b1e3"
down_revision = "c8f1d2a3b4e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("wp_id", sa.Integer(), nullable=False),
        sa.Column("parent_wp_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=245), nullable=False),
        sa.Column("author_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    # The post page reads a post's comments through it; re-imports find a comment by it.
    op.create_index("ix_comments_post_wp_id", "comments", ["post_id", "wp_id"], unique=True)


def downgrade():
    op.drop_table("comments")
