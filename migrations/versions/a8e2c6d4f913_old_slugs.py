"""Old slugs of posts, categories and tags, so that their old addresses redirect

Revision ID: a8e2c6d4f913
Revises: f7d3a8b2c615
Create Date: 2026-11-25 22:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a8e2c6d4f913"
down_revision = "f7d3a8b2c615"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "old_slugs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slug", sa.String(length=320), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("tag_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_old_slugs_kind_slug", "old_slugs", ["kind", "slug"], unique=True)
    op.create_index("ix_old_slugs_post_id", "old_slugs", ["post_id"])
    op.create_index("ix_old_slugs_category_id", "old_slugs", ["category_id"])
    op.create_index("ix_old_slugs_tag_id", "old_slugs", ["tag_id"])


def downgrade():
    op.drop_table("old_slugs")
