"""WordPress post ids, for the redirects of imported posts' old /?p=ID links

Plain ALTER TABLE statements, not a batch migration: a batch would recreate posts on SQLite
and drop the search index's triggers with it (SQLite drops a column itself since 3.35).

Revision ID: e5b7c2d9a104
Revises: c3a1f0e2d4b5
Create Date: 2026-11-27 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e5b7c2d9a104"
down_revision = "c3a1f0e2d4b5"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("posts", sa.Column("wp_id", sa.Integer(), nullable=True))
    op.create_index("ix_posts_wp_id", "posts", ["wp_id"], unique=True)


def downgrade():
    op.drop_index("ix_posts_wp_id", table_name="posts")
    op.drop_column("posts", "wp_id")
