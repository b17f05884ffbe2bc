"""Autosaves of the post form, and each image's alt text, caption and credit

Revision ID: d1a5c0e7b942
Revises: d9a4e1c7b2f0
Create Date: 2026-12-07 17:30:00.000000

An autosave is the post form as it was being written, one per editor and post (post_id NULL
for a post not saved yet); it never changes the post. Images keep what the editor said of
them when inserting them in a body, to offer it again.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d1a5c0e7b942"
down_revision = "d9a4e1c7b2f0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "autosaves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body_format", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_autosaves_user_post", "autosaves", ["user_id", "post_id"])
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("alt", sa.String(length=300), server_default="", nullable=False))
        batch.add_column(
            sa.Column("caption", sa.String(length=1000), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("credit", sa.String(length=300), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("media") as batch:
        batch.drop_column("credit")
        batch.drop_column("caption")
        batch.drop_column("alt")
    op.drop_index("ix_autosaves_user_post", table_name="autosaves")
    op.drop_table("autosaves")
