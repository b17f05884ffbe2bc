"""Pages, menus and featured posts: four new tables, nothing else changes

Revision ID: d9a4e1c7b2f0
Revises: d2c4e6f8a0b1
Create Date: 2026-12-07 17:40:00.000000

posts is left as it is: featured state lives in featured_posts (one row per pinned post, with
its position), and pages in their own table, so that no listing of posts needs a new filter.
menu_items starts empty: an empty header menu is the site's categories, as before.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d9a4e1c7b2f0"
down_revision = "d2c4e6f8a0b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "featured_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id"),
    )
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("wp_id", sa.Integer(), nullable=True),
        sa.Column("body_format", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=320), nullable=False),
        sa.Column("image_alt", sa.String(length=300), nullable=False),
        sa.Column("seo_title", sa.String(length=300), nullable=False),
        sa.Column("seo_description", sa.String(length=500), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["pages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["image_id"], ["media.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index("ix_pages_parent_id", "pages", ["parent_id"])
    op.create_index("ix_pages_wp_id", "pages", ["wp_id"], unique=True)
    op.create_table(
        "page_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body_format", sa.String(length=16), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_page_revisions_page_id", "page_revisions", ["page_id"])
    op.create_table(
        "menu_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("menu", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_menu_items_menu_position", "menu_items", ["menu", "position"])
    op.create_index("ix_menu_items_category_id", "menu_items", ["category_id"])
    op.create_index("ix_menu_items_page_id", "menu_items", ["page_id"])


def downgrade():
    op.drop_table("menu_items")
    op.drop_table("page_revisions")
    op.drop_table("pages")
    op.drop_table("featured_posts")
