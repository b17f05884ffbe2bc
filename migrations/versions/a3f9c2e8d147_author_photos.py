"""Authors' photos: an image of the media library per author

Revision ID: a3f9c2e8d147
Revises: c8d5e1f3a247
Create Date: 2026-12-07 20:30:00.000000

A table of its own rather than a column of users: on SQLite a new column with a foreign key
means rebuilding users, which every other table references (and a rebuild under enforced
foreign keys would cascade into them).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a3f9c2e8d147"
down_revision = "c8d5e1f3a247"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "author_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_index("ix_author_photos_media_id", "author_photos", ["media_id"])


def downgrade():
    op.drop_index("ix_author_photos_media_id", table_name="author_photos")
    op.drop_table("author_photos")
