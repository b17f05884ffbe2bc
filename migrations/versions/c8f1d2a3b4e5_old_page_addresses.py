"""Old addresses of pages: a renamed or moved page's old /slug/ redirects

Revision ID: c8f1d2a3b4e5
Revises: b7e41c9d2a60
Create Date: 2026-12-07 20:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c8f1d2a3b4e5"
down_revision = "b7e41c9d2a60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("old_slugs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_old_slugs_page_id_pages", "pages", ["page_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_old_slugs_page_id", ["page_id"])


def downgrade():
    with op.batch_alter_table("old_slugs", schema=None) as batch_op:
        batch_op.drop_index("ix_old_slugs_page_id")
        batch_op.drop_constraint("fk_old_slugs_page_id_pages", type_="foreignkey")
        batch_op.drop_column("page_id")
