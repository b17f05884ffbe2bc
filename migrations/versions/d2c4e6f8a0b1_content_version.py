"""The content stamp in the database, for several app servers (BLOG_CONTENT_STAMP=database)

Revision ID: d2c4e6f8a0b1
Revises: e6808111c91e
Create Date: 2026-12-07 17:50:00.000000

One row: raised by every transaction that changes public content, when the setting asks for
it (see blog/cache.py, SharedStamp). Created on every database, used on PostgreSQL.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d2c4e6f8a0b1"
down_revision = "e6808111c91e"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "stamp": 0}])


def downgrade():
    op.drop_table("content_version")
