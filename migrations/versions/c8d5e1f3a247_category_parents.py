"""Category parents: WordPress's category hierarchy, kept

SQLite adds a foreign key only by rebuilding the table (a column's own REFERENCES clause
would do, but SQLAlchemy reads no ON DELETE back from it), and rebuilds categories only
with foreign keys off: with them on, DROP TABLE categories deletes every row first,
CASCADING into menu_items, old_slugs and wordpress_addresses (see f7d3a8b2c615). PRAGMA
foreign_keys is a no-op inside a transaction: hence the autocommit block.

Revision ID: c8d5e1f3a247
Revises: c8d2f4a6b1e3
Create Date: 2026-12-07 20:30:00.000000

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c8d5e1f3a247"
down_revision = "c8d2f4a6b1e3"
branch_labels = None
depends_on = None
FOREIGN_KEY = "fk_categories_parent_id_categories"


@contextmanager
def categories_batch():
    """Yield a batch on categories; on SQLite, its rebuild with foreign keys off."""
    if op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table("categories") as batch:
            yield batch
        return
    with op.get_context().autocommit_block():
        connection = op.get_bind()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:
                raise RuntimeError("PRAGMA foreign_keys is still on: categories left as they are.")
            with op.batch_alter_table("categories", recreate="always") as batch:
                yield batch
            if problems := connection.exec_driver_sql("PRAGMA foreign_key_check").all():
                raise RuntimeError(f"Foreign keys broken by the rebuild: {problems[:5]}.")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade():
    with categories_batch() as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            FOREIGN_KEY, "categories", ["parent_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_categories_parent_id", ["parent_id"])


def downgrade():
    with categories_batch() as batch:
        batch.drop_index("ix_categories_parent_id")
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("parent_id")
