"""Migration f7d3a8b2c615: SQLite rebuilds posts with the bodies last, losing nothing.

Rebuilding posts means dropping it, and the app enforces foreign keys on every SQLite
connection: done carelessly, the drop would cascade into post_tags and revisions and take the
search index's triggers with it. These tests fill a database at the revision before, upgrade,
and compare.
"""

from datetime import datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import column, create_engine, insert, table, text
from sqlalchemy.exc import IntegrityError

from blog import ROOT
from blog.extensions import db
from blog.models import Post, Revision, Tag, User
from blog.render import body_fields
from blog.search.results import search_posts
from tests import test_migrations

# An app over an empty database, to be migrated by the test.
app = test_migrations.app

REVISION = "f7d3a8b2c615"
MIGRATION = ScriptDirectory(str(ROOT / "migrations")).get_revision(REVISION)
BEFORE = MIGRATION.down_revision
BIG = ["body_source", "body_html", "search_text"]
DUMPS = {
    "posts": "id",
    "post_tags": "post_id, tag_id",
    "revisions": "id",
    "media": "id",
    "tags": "id",
    "posts_search_docsize": "id",
}
NOW = datetime(2026, 11, 20, 12, 0, 0)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def long_body(n: int) -> str:
    """A body of several KB, so that the row spills into overflow pages as real posts do."""
    paragraph = f"Lighthouse keeper number {n} logs the tides, the gulls and the ferries. "
    return "\n\n".join(paragraph * 8 + f"Entry {k} café naïve." for k in range(12))


def add_posts() -> None:
    """Posts of every kind, with tags, revisions and a featured image, at the old schema."""
    author = User(username="editor", display_name="The Editor", bio="")
    harbour = Tag(name="Harbour", slug="harbour")
    gulls = Tag(name="Gulls", slug="gulls")
    db.session.add_all([author, harbour, gulls])
    # Categories too, with the columns they had then (parent_id came later).
    old_categories = table("categories", *map(column, "id name slug description".split()))
    news = db.session.execute(
        insert(old_categories).returning(old_categories.c.id),
        dict(name="World News", slug="world-news", description=""),
    ).scalar_one()
    # Through Core, with the columns media had then: the model has more since (and their
    # defaults would name them).
    old_media = table(
        "media", *map(column, "id filename original_name content_type width height".split()),
        column("variants"), column("created_at"),
    )  # fmt: skip
    image = db.session.execute(
        insert(old_media).returning(old_media.c.id),
        dict(
            filename="lamp.jpg", original_name="Lamp.JPG", content_type="image/jpeg", width=800,
            height=600, variants="400,800", created_at=NOW,
        ),
    ).scalar_one()  # fmt: skip
    kinds = [
        # (status, published_at, tags, image, wp_id, custom excerpt)
        ("published", NOW - timedelta(days=3), [harbour, gulls], image, 41, ""),
        ("published", NOW - timedelta(days=2), [harbour], None, None, "Hand-written excerpt."),
        ("published", NOW + timedelta(days=400), [gulls], image, None, ""),  # scheduled
        ("draft", None, [harbour], None, 42, ""),
        ("trash", NOW - timedelta(days=9), [], None, None, ""),
        ("published", NOW - timedelta(days=1), [], None, None, ""),
    ]
    for n, (status, published_at, tags, featured, wp_id, excerpt) in enumerate(kinds, 1):
        source = long_body(n)
        post = Post(
            title=f"Lighthouse log {n}",
            slug=f"lighthouse-log-{n}",
            body_source=source,
            **body_fields(source, "markdown", excerpt).as_dict(),
            status=status,
            version=n,
            published_at=published_at,
            created_at=NOW - timedelta(days=10, seconds=n),
            updated_at=NOW - timedelta(hours=n),
            author=author,
            category_id=news,
            image_id=featured,
            image_alt="The lamp" if featured else "",
            seo_title=f"Log {n}" if n % 2 else "",
            wp_id=wp_id,
            tags=tags,
        )
        db.session.add(post)
        db.session.flush()
        for version in range(1, n):
            db.session.add(
                Revision(
                    post_id=post.id, version=version, title=f"Draft {version}",
                    body_format="markdown", body_source=source[: 100 * version], excerpt="",
                    saved_at=NOW - timedelta(days=5, minutes=version), created_at=NOW,
                )
            )  # fmt: skip
    db.session.commit()


def dump() -> dict[str, list[dict]]:
    """Every row of the tables the rebuild could touch, as the database holds them."""
    tables = DUMPS if is_sqlite() else {k: v for k, v in DUMPS.items() if "search" not in k}
    with db.engine.connect() as conn:
        return {
            table: [
                dict(row)
                for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {by}")).mappings()
            ]
            for table, by in tables.items()
        }


def schema_of_posts(conn) -> dict:
    """The indexes and triggers on posts, its foreign keys and those pointing at it."""
    return {
        "objects": conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'posts'"
            " AND type IN ('index', 'trigger') ORDER BY name"
        ).all(),
        "foreign_keys": sorted(conn.exec_driver_sql("PRAGMA foreign_key_list(posts)").all()),
        "pointing_here": sorted(
            conn.exec_driver_sql(
                'SELECT m.name, f."from", f.on_delete FROM sqlite_master AS m,'
                " pragma_foreign_key_list(m.name) AS f WHERE f.\"table\" = 'posts'"
            ).all()
        ),
    }


def found(query: str) -> list[str]:
    """Search as readers do: through the app, whose listings read every column the models
    have now (categories.parent_id came later), so at the newest schema."""
    upgrade()
    return sorted(hit.post.slug for hit in search_posts(query).items)


@pytest.fixture
def upgraded(app):
    """A database filled at the revision before, then upgraded; the rows and schema before."""
    upgrade(revision=BEFORE)
    add_posts()
    rows = dump()
    schema = None
    if is_sqlite():
        with db.engine.connect() as conn:
            # What makes the hazard real: the app enforces foreign keys on every connection.
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            schema = schema_of_posts(conn)
            assert conn.exec_driver_sql("SELECT count(*) FROM post_tags").scalar() == 5
    # To this migration only: later ones add tables whose foreign keys point at posts.
    upgrade(revision=REVISION)
    return rows, schema


def test_every_row_and_value_survives(upgraded):
    rows, _ = upgraded
    assert sum(len(r) for r in rows.values()) > 20
    assert dump() == rows
    # Published and past only: the scheduled post, the draft and the trash are not found.
    assert found("gulls ferries") == ["lighthouse-log-1", "lighthouse-log-2", "lighthouse-log-6"]
    assert found("naive cafe") == found("gulls")


@pytest.mark.sqlite_only("SQLite's column order, pragmas and FTS5 table")
def test_big_columns_last_with_the_same_indexes_triggers_and_keys(app, upgraded, tmp_path):
    _, schema = upgraded
    with db.engine.connect() as conn:
        columns = conn.exec_driver_sql("PRAGMA table_info(posts)").all()
        assert [c.name for c in columns][-3:] == BIG
        assert [c.name for c in columns][0] == "id"
        assert schema_of_posts(conn) == schema
        names = {name for _type, name, _sql in schema["objects"]}
        assert names >= {
            "ix_posts_status_published",
            "ix_posts_category_published",
            "ix_posts_author_published",
            "ix_posts_wp_id",
            "sqlite_autoindex_posts_1",  # UNIQUE (slug)
            "posts_search_insert",
            "posts_search_update",
            "posts_search_delete",
        }
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        conn.exec_driver_sql("INSERT INTO posts_search(posts_search) VALUES ('integrity-check')")
        # A table already in order is left as it is.
        version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
        conn.rollback()
        MIGRATION.module.rebuild_posts(conn.execution_options(isolation_level="AUTOCOMMIT"))
        assert conn.exec_driver_sql("PRAGMA schema_version").scalar() == version

    # A database made from the models has the same columns, in the same order.
    # In the test's own folder: instance/ is the checkout's, shared by parallel workers.
    models = create_engine(f"sqlite:///{tmp_path / 'models.sqlite'}")
    db.metadata.create_all(models)
    with models.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA table_info(posts)").all() == columns
    models.dispose()


def test_foreign_keys_are_enforced_again(app, upgraded):
    with db.engine.connect() as conn:
        with pytest.raises(IntegrityError):
            conn.exec_driver_sql("INSERT INTO post_tags (post_id, tag_id) VALUES (999, 1)")
        conn.rollback()
    post = db.session.scalar(db.select(Post).filter_by(slug="lighthouse-log-1"))
    db.session.delete(post)
    db.session.commit()
    with db.engine.connect() as conn:
        # ON DELETE CASCADE still reaches the new table's children.
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM post_tags WHERE post_id = 1").scalar() == 0
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM post_tags").scalar() == 3
    assert found("gulls") == ["lighthouse-log-2", "lighthouse-log-6"]


def test_search_index_follows_writes_after_the_upgrade(app, upgraded):
    author_id, category_id = db.session.execute(
        db.select(Post.author_id, Post.category_id).limit(1)
    ).one()
    walrus = Post(
        title="Walrus on the jetty",
        slug="walrus",
        body_source="The walrus rests on the jetty.",
        **body_fields("The walrus rests on the jetty.", "markdown").as_dict(),
        status="published",
        published_at=NOW,
        author_id=author_id,
        category_id=category_id,
    )
    db.session.add(walrus)
    db.session.commit()
    assert found("walrus") == ["walrus"]

    walrus.title = "Seal on the jetty"
    db.session.commit()
    assert found("walrus") == ["walrus"]  # still in the body
    assert found("seal") == ["walrus"]
    draft = db.session.scalar(db.select(Post).filter_by(slug="lighthouse-log-4"))
    draft.status = "published"
    draft.published_at = NOW
    db.session.commit()
    assert "lighthouse-log-4" in found("ferries")

    db.session.delete(walrus)
    db.session.commit()
    assert found("jetty") == []
    if is_sqlite():
        with db.engine.connect() as conn:
            conn.exec_driver_sql(
                "INSERT INTO posts_search(posts_search) VALUES ('integrity-check')"
            )


@pytest.mark.sqlite_only("PRAGMA foreign_keys is SQLite's")
def test_refuses_to_rebuild_inside_a_transaction(app):
    upgrade(revision=BEFORE)
    add_posts()
    rows = dump()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("BEGIN")
        with pytest.raises(RuntimeError, match="foreign_keys is still on"):
            MIGRATION.module.rebuild_posts(conn)
        conn.exec_driver_sql("ROLLBACK")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert dump() == rows


@pytest.mark.sqlite_only("PRAGMA foreign_keys is SQLite's")
def test_a_failed_rebuild_changes_nothing(app):
    upgrade(revision=BEFORE)
    add_posts()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        # A tag row whose post is gone, written around the foreign keys: the check at the
        # end of the rebuild finds it, after posts was dropped and replaced.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("INSERT INTO post_tags (post_id, tag_id) VALUES (999, 1)")
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        before = schema_of_posts(conn), conn.exec_driver_sql("PRAGMA table_info(posts)").all()
        rows = dump()
        with pytest.raises(RuntimeError, match="foreign keys of post_tags"):
            MIGRATION.module.rebuild_posts(conn)
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        after = schema_of_posts(conn), conn.exec_driver_sql("PRAGMA table_info(posts)").all()
        assert after == before
        leftovers = "SELECT name FROM sqlite_master WHERE name = 'posts_reordered'"
        assert conn.exec_driver_sql(leftovers).all() == []
    assert dump() == rows
