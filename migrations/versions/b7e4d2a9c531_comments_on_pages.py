"""Comments on pages: a comment belongs to a post or to a page

Nothing references comments, so SQLite's rebuild of the table (batch mode) deletes no other
row, foreign keys on or off.

Revision ID: b7e4d2a9c531
Revises: a3f9c2e8d147
Create Date: 2026-12-07 23:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7e4d2a9c531"
down_revision = "a3f9c2e8d147"
branch_labels = None
depends_on = None
FOREIGN_KEY = "fk_comments_page_id_pages"
ONE_OF_TWO = "ck_comments_post_or_page"


def upgrade():
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("page_id", sa.Integer(), nullable=True))
        batch.alter_column("post_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(FOREIGN_KEY, "pages", ["page_id"], ["id"], ondelete="CASCADE")
        batch.create_check_constraint(ONE_OF_TWO, "(post_id IS NULL) <> (page_id IS NULL)")
        # The page view reads a page's comments through it; re-imports find a comment by it.
        batch.create_index("ix_comments_page_wp_id", ["page_id", "wp_id"], unique=True)


def downgrade():
    # Comments on pages have no place in the older schema.
    op.execute("DELETE FROM comments WHERE page_id IS NOT NULL")
    with op.batch_alter_table("comments") as batch:
        batch.drop_index("ix_comments_page_wp_id")
        batch.drop_constraint(ONE_OF_TWO, type_="check")
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("page_id")
        batch.alter_column("post_id", existing_type=sa.Integer(), nullable=False)
