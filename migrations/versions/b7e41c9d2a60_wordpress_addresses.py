"""WordPress addresses of categories and images, for the redirects of ?cat=ID, ?attachment_id=ID,
attachment pages and /wp-content/uploads/ files

Revision ID: b7e41c9d2a60
Revises: d1a5c0e7b942
Create Date: 2026-12-07 17:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7e41c9d2a60"
down_revision = "d1a5c0e7b942"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wordpress_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("wp_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wordpress_addresses_kind_wp_id", "wordpress_addresses", ["kind", "wp_id"])
    op.create_index("ix_wordpress_addresses_kind_name", "wordpress_addresses", ["kind", "name"])
    op.create_index("ix_wordpress_addresses_category_id", "wordpress_addresses", ["category_id"])
    op.create_index("ix_wordpress_addresses_media_id", "wordpress_addresses", ["media_id"])


def downgrade():
    op.drop_table("wordpress_addresses")
