"""Full-text search: posts.search_text and its index

SQLite: an FTS5 table over the title and the body's words of published posts, kept in step by
triggers on posts, so that every way of writing a post (editor, demo, imports, a SQL shell)
updates it. PostgreSQL: a generated tsvector column with a GIN index.

The SQL is written out here rather than imported from blog/ so that this migration keeps
doing what it did when the code moves on; blog.search.index.rebuild_search_index() (flask
search-rebuild) repeats it, IF NOT EXISTS. A later SQLite batch migration that recreates
posts drops these triggers with the old table: it must end with that rebuild. migrations/env.py
keeps autogenerate from proposing to drop the index's tables and column.

Revision ID: c4f2a9d1e7b3
Revises: b1e5d700c39d
Create Date: 2026-11-26 10:00:00.000000

"""

import html
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4f2a9d1e7b3"
down_revision = "b1e5d700c39d"
branch_labels = None
depends_on = None


SQLITE_SCHEMA = [
    # External content: the text stays in posts, the index holds only the tokens. Only
    # published posts (scheduled ones included) are indexed; the query checks the date.
    # Prefix indexes make "ca*" one lookup instead of a merge of every word in "ca".
    """CREATE VIRTUAL TABLE IF NOT EXISTS posts_search USING fts5(
        title, search_text, content='posts', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')""",
    """CREATE TRIGGER IF NOT EXISTS posts_search_insert AFTER INSERT ON posts
    WHEN new.status = 'published' BEGIN
        INSERT INTO posts_search(rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
    # An external-content index must be told the old values to forget; the docsize check
    # keeps a row that was never indexed from corrupting it.
    """CREATE TRIGGER IF NOT EXISTS posts_search_delete AFTER DELETE ON posts
    WHEN old.status = 'published' BEGIN
        INSERT INTO posts_search(posts_search, rowid, title, search_text)
        SELECT 'delete', old.id, old.title, old.search_text
        WHERE EXISTS (SELECT 1 FROM posts_search_docsize WHERE id = old.id);
    END""",
    # One trigger for both halves of an update: their order matters.
    """CREATE TRIGGER IF NOT EXISTS posts_search_update
    AFTER UPDATE OF id, title, search_text, status ON posts
    WHEN old.status = 'published' OR new.status = 'published' BEGIN
        INSERT INTO posts_search(posts_search, rowid, title, search_text)
        SELECT 'delete', old.id, old.title, old.search_text
        WHERE old.status = 'published'
          AND EXISTS (SELECT 1 FROM posts_search_docsize WHERE id = old.id);
        INSERT INTO posts_search(rowid, title, search_text)
        SELECT new.id, new.title, new.search_text WHERE new.status = 'published';
    END""",
]

# Block-level tags separate words even when the HTML has no whitespace between them.
_BLOCK = re.compile(
    r"<(?=/?(?:p|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|div|br|hr|tr|td|th|table|caption"
    r"|figure|figcaption|details|summary)\b)",
    re.IGNORECASE,
)
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


def _words(clean_html):
    """The text of stored (already sanitized) body HTML, as blog.render.search_text gives it."""
    text = _TAG.sub("", _BLOCK.sub(" <", clean_html or ""))
    return " ".join(html.unescape(text).split())


def _backfill(bind):
    posts = sa.table(
        "posts", sa.column("id", sa.Integer), sa.column("body_html"), sa.column("search_text")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(posts.c.id, posts.c.body_html)
            .where(posts.c.id > last)
            .order_by(posts.c.id)
            .limit(1000)
        ).all()
        if not rows:
            return
        bind.execute(
            posts.update().where(posts.c.id == sa.bindparam("b_id")),
            [{"b_id": id_, "search_text": _words(body)} for id_, body in rows],
        )
        last = rows[-1][0]


def _postgresql_upgrade(bind):
    # A text search configuration that folds diacritics when the unaccent extension can be
    # had (it ships with PostgreSQL, and a database owner may create it since version 13).
    exists = bind.exec_driver_sql("SELECT 1 FROM pg_ts_config WHERE cfgname = 'blog_search'")
    if exists.first() is None:
        bind.exec_driver_sql(
            "CREATE TEXT SEARCH CONFIGURATION blog_search (COPY = pg_catalog.simple)"
        )
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'"
    ).first()
    if available:
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        except sa.exc.DBAPIError:
            available = None
    if available:
        bind.exec_driver_sql(
            "ALTER TEXT SEARCH CONFIGURATION blog_search ALTER MAPPING FOR"
            " asciiword, word, numword, asciihword, hword, numhword, hword_asciipart,"
            " hword_part, hword_numpart WITH unaccent, simple"
        )
    # PostgreSQL's parser takes "<b>" for a tag and "&amp;" for an entity and drops them;
    # as other punctuation (as SQLite reads them) the words inside are found and shown.
    plain = "translate(coalesce({}, ''), '<&', U&'\\E002\\E003')"
    bind.exec_driver_sql(
        "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f" setweight(to_tsvector('blog_search'::regconfig, {plain.format('title')}), 'A') ||"
        f" setweight(to_tsvector('blog_search'::regconfig, {plain.format('search_text')}), 'B')"
        ") STORED"
    )
    bind.exec_driver_sql("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    _backfill(bind)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_SCHEMA:
            bind.exec_driver_sql(statement)
        bind.exec_driver_sql(
            "INSERT INTO posts_search(rowid, title, search_text)"
            " SELECT id, title, search_text FROM posts WHERE status = 'published'"
        )
        bind.exec_driver_sql("INSERT INTO posts_search(posts_search) VALUES ('optimize')")
    elif bind.dialect.name == "postgresql":
        _postgresql_upgrade(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("posts_search_insert", "posts_search_delete", "posts_search_update"):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS posts_search")
    elif bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP INDEX IF EXISTS ix_posts_search_vector")
        bind.exec_driver_sql("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")
        bind.exec_driver_sql("DROP TEXT SEARCH CONFIGURATION IF EXISTS blog_search")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch rebuild: that would DROP posts
    # with foreign keys on, and the drop CASCADEs into post_tags and revisions.
    op.drop_column("posts", "search_text")
