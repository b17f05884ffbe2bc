"""Keeping the search index: its SQLite schema, a rebuild, a merge after bulk loads.

The triggers keep the index in step with every write (see blog.search.results); these are for what
goes around them: a database whose triggers were lost, text that drifted from its body, and
the thousands of small pieces a bulk load leaves behind.
"""

from sqlalchemy import bindparam, func, select, text, update

from blog.extensions import db
from blog.models import Post
from blog.posts.status import Status
from blog.render import search_text


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# The migration's statements again, so that a rebuild also repairs lost triggers.
SQLITE_SCHEMA = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS posts_search USING fts5(
        title, search_text, content='posts', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')""",
    """CREATE TRIGGER IF NOT EXISTS posts_search_insert AFTER INSERT ON posts
    WHEN new.status = 'published' BEGIN
        INSERT INTO posts_search(rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS posts_search_delete AFTER DELETE ON posts
    WHEN old.status = 'published' BEGIN
        INSERT INTO posts_search(posts_search, rowid, title, search_text)
        SELECT 'delete', old.id, old.title, old.search_text
        WHERE EXISTS (SELECT 1 FROM posts_search_docsize WHERE id = old.id);
    END""",
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


def refresh_search_text(batch: int = 500) -> int:
    """Recompute every post's search_text from its body; return how many had drifted."""
    changed, last = 0, 0
    posts_table = Post.__table__
    while True:
        rows = db.session.execute(
            select(Post.id, Post.body_html, Post.search_text)
            .where(Post.id > last)
            .order_by(Post.id)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        last = rows[-1].id
        updates = [
            {"b_id": row.id, "search_text": words}
            for row in rows
            if (words := search_text(row.body_html)) != row.search_text
        ]
        if updates:
            db.session.execute(
                update(posts_table).where(posts_table.c.id == bindparam("b_id")), updates
            )
            changed += len(updates)


def optimize_search_index() -> None:
    """Merge the SQLite index into one piece after a bulk load: queries then read far less."""
    if not _is_postgresql():
        db.session.execute(text("INSERT INTO posts_search(posts_search) VALUES ('optimize')"))


def rebuild_search_index() -> int:
    """Recompute the posts' search text and rebuild the index; return how many it holds.

    On SQLite the index's table and triggers are created if they are missing, then it is
    emptied and refilled from the published posts; on PostgreSQL the column follows the text
    by itself. Run it after anything that bypassed the triggers.
    """
    refresh_search_text()
    if not _is_postgresql():
        connection = db.session.connection()
        for statement in SQLITE_SCHEMA:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("INSERT INTO posts_search(posts_search) VALUES ('delete-all')")
        connection.exec_driver_sql(
            "INSERT INTO posts_search(rowid, title, search_text)"
            " SELECT id, title, search_text FROM posts WHERE status = 'published'"
        )
        optimize_search_index()
    return db.session.scalar(
        select(func.count()).select_from(Post).where(Post.status == Status.PUBLISHED)
    )
