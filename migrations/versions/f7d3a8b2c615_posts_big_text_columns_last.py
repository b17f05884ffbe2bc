"""SQLite: rebuild posts with the big text columns last

SQLite stores a row's columns in declaration order and a row of several KB spills into
overflow pages: reading a column stored after body_source, body_html or search_text means
walking the row's overflow chain first (~1.8 us a row). Listings, the sitemap and the related
posts read only the small columns, by id; with the bodies last, those stay on the row's first
page. Nothing changes but the order: same ids, values, constraints, indexes and triggers.

The table is rebuilt the way https://www.sqlite.org/lang_altertable.html#otheralter says:
with foreign keys off (the app turns them on for every connection, and with them on
DROP TABLE posts deletes every row first, CASCADING into post_tags and revisions), in one
transaction, then PRAGMA foreign_key_check. PRAGMA foreign_keys is a no-op inside a
transaction, so the rebuild runs in an autocommit block (which commits the migrations before
it) and opens its own transaction; it checks that the pragma took and fails before touching
anything otherwise.

The indexes and triggers on posts (the search index's, see c4f2a9d1e7b3) are read from the
database before the drop and created again from their own SQL, not from blog/: so are any the
database has that this migration does not know of. Post ids stay the same, so the external
content FTS5 index (content_rowid='id') stays valid without a rebuild.

PostgreSQL: nothing to do. It stores large values out of line (TOAST) and a row's columns
before or after them cost the same to read.

Downgrade does nothing on either database: the order of columns has no meaning to queries.

Revision ID: f7d3a8b2c615
Revises: e5b7c2d9a104
Create Date: 2026-11-25 21:20:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "f7d3a8b2c615"
down_revision = "e5b7c2d9a104"
branch_labels = None
depends_on = None


# The new order: fixed-size columns first (what listings, the sitemap and the related posts
# read by id), then the short texts, then the bodies that spill into overflow pages. The types
# and defaults are the ones the earlier migrations gave these columns; blog/models.py declares
# them in this order too, so that a database made from the models matches.
COLUMNS = [
    ("id", "INTEGER NOT NULL"),
    ("status", "VARCHAR(16) NOT NULL"),
    ("published_at", "DATETIME"),
    ("updated_at", "DATETIME NOT NULL"),
    ("created_at", "DATETIME NOT NULL"),
    ("version", "INTEGER NOT NULL"),
    ("author_id", "INTEGER NOT NULL"),
    ("category_id", "INTEGER NOT NULL"),
    ("image_id", "INTEGER"),
    ("wp_id", "INTEGER"),
    ("word_count", "INTEGER NOT NULL"),
    ("custom_excerpt", "BOOLEAN NOT NULL"),
    ("body_format", "VARCHAR(16) NOT NULL"),
    ("title", "VARCHAR(300) NOT NULL"),
    ("slug", "VARCHAR(320) NOT NULL"),
    ("excerpt", "TEXT NOT NULL"),
    ("image_alt", "VARCHAR(300) NOT NULL"),
    ("seo_title", "VARCHAR(300) DEFAULT '' NOT NULL"),
    ("seo_description", "VARCHAR(500) DEFAULT '' NOT NULL"),
    ("body_source", "TEXT NOT NULL"),
    ("body_html", "TEXT NOT NULL"),
    ("search_text", "TEXT DEFAULT '' NOT NULL"),
]

CONSTRAINTS = [
    "PRIMARY KEY (id)",
    "FOREIGN KEY(author_id) REFERENCES users (id)",
    "FOREIGN KEY(category_id) REFERENCES categories (id)",
    "FOREIGN KEY(image_id) REFERENCES media (id) ON DELETE SET NULL",
    "UNIQUE (slug)",
]

NEW_TABLE = "posts_reordered"


def _create_table_sql() -> str:
    lines = [f"{name} {definition}" for name, definition in COLUMNS] + CONSTRAINTS
    return f"CREATE TABLE {NEW_TABLE} (\n\t" + ", \n\t".join(lines) + "\n)"


def _scalar(connection, sql):
    return connection.exec_driver_sql(sql).scalar()


def _rows(connection, sql):
    return connection.exec_driver_sql(sql).all()


def rebuild_posts(connection) -> None:
    """Recreate posts with its columns in the order of COLUMNS, keeping every row and id.

    connection must not be in a transaction (PRAGMA foreign_keys could not change): this
    opens and commits its own, and leaves foreign keys as it found them.
    """
    enforced = _scalar(connection, "PRAGMA foreign_keys")
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        if _scalar(connection, "PRAGMA foreign_keys") != 0:
            raise RuntimeError(
                "PRAGMA foreign_keys is still on (the connection is in a transaction):"
                " rebuilding posts now would DROP it with ON DELETE CASCADE into post_tags"
                " and revisions. Nothing was changed."
            )
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _copy_posts(connection)
            connection.exec_driver_sql("COMMIT")
        except BaseException:
            # SQLite ends the transaction by itself after a few errors (disk full ...).
            if connection.connection.dbapi_connection.in_transaction:
                connection.exec_driver_sql("ROLLBACK")
            raise
    finally:
        if enforced:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def _copy_posts(connection) -> None:
    """The rebuild itself, inside the caller's transaction with foreign keys off."""
    present = [row[1] for row in _rows(connection, "PRAGMA table_info(posts)")]
    names = [name for name, _ in COLUMNS]
    if sorted(present) != sorted(names):
        raise RuntimeError(
            f"posts has the columns {present}, this migration expects {sorted(names)}:"
            " it would lose or miss some. Nothing was changed."
        )
    if present == names:
        return  # made from the models, or rebuilt already
    # Every index and trigger on posts, as its own SQL; the automatic index of UNIQUE (slug)
    # has none and comes back with the table. Dropping posts drops them all.
    keep = _rows(
        connection,
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'posts'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
    )
    count = _scalar(connection, "SELECT count(*) FROM posts")
    column_list = ", ".join(names)

    connection.exec_driver_sql(_create_table_sql())
    connection.exec_driver_sql(
        f"INSERT INTO {NEW_TABLE} ({column_list}) SELECT {column_list} FROM posts ORDER BY id"
    )
    connection.exec_driver_sql("DROP TABLE posts")
    connection.exec_driver_sql(f"ALTER TABLE {NEW_TABLE} RENAME TO posts")
    for _type, _name, sql in keep:
        connection.exec_driver_sql(sql)

    if _scalar(connection, "SELECT count(*) FROM posts") != count:
        raise RuntimeError("posts lost rows in the rebuild. Nothing was changed.")
    restored = {
        row[0]
        for row in _rows(
            connection,
            "SELECT name FROM sqlite_master WHERE tbl_name = 'posts'"
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        )
    }
    if missing := {name for _type, name, _sql in keep} - restored:
        raise RuntimeError(f"posts lost {sorted(missing)} in the rebuild. Nothing was changed.")
    # The tables whose foreign keys point at posts (post_tags, revisions ...) and posts'
    # own: the checks foreign keys would have made, had they been on.
    children = [
        row[0]
        for row in _rows(
            connection,
            "SELECT DISTINCT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name)"
            " AS f WHERE m.type = 'table' AND f.\"table\" = 'posts'",
        )
    ]
    for table in ["posts", *children]:
        if problems := _rows(connection, f'PRAGMA foreign_key_check("{table}")'):
            raise RuntimeError(
                f"foreign keys of {table} broken by the rebuild: {problems[:5]}."
                " Nothing was changed."
            )


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        # PostgreSQL TOASTs large values out of line: the order costs nothing there.
        return
    with op.get_context().autocommit_block():
        rebuild_posts(op.get_bind())


def downgrade():
    # The order of columns means nothing to a query: the upgraded table serves every
    # earlier revision as it is, on both databases.
    pass
