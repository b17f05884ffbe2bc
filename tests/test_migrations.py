"""The migrations own the schema: base to head builds exactly the models, keeping the rows.

Every test runs against a temporary SQLite file, or, when BLOG_TEST_DATABASE_URL names a
PostgreSQL server, against an empty database of its own there (tests run in parallel).
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from blog import ROOT
from blog.extensions import db
from blog.search.results import search_posts
from tests.conftest import make_app, postgres

SCRIPTS = ScriptDirectory(str(ROOT / "migrations"))
# Oldest first: the order `flask db upgrade` applies them in.
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]

# The search index is made by its migration in raw SQL, because a model cannot declare it:
# SQLite's FTS5 virtual table posts_search with its shadow tables (posts_search_data, _idx,
# _docsize, _config), PostgreSQL's generated search_vector column and its GIN index. They
# exist only in the database, so the comparison would report them as "remove"; it skips
# them (only as found in the database: a model that declared such a name is still compared).
SEARCH_INDEX_NAMES = ("posts_search", "search_vector", "ix_posts_search_vector")


def not_search_index(object_, name, type_, reflected, compare_to) -> bool:
    return not (reflected and (name or "").startswith(SEARCH_INDEX_NAMES))


@pytest.fixture
def app(tmp_path):
    """An app over an empty database: no tables at all, not even alembic_version."""
    if postgres is not None:
        url = postgres.empty_for_folder(tmp_path)
    else:
        url = f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    app = make_app(tmp_path, DATABASE_URL=url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if postgres is not None:
        postgres.drop_folder(tmp_path)


def schema_drift() -> list:
    """Return what autogenerate would change to make the database match the models."""
    # Server defaults are left out: SQLite reflects them as SQL text ("''"), which never
    # equals the model's Python value, so every one would be reported.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": not_search_index, "compare_type": True}
        )
        return compare_metadata(context, db.metadata)


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def tables() -> set[str]:
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def add_rows_at_first_revision() -> None:
    """Write an author, a category, a tag and a published post with the first schema's SQL."""
    statements = [
        "INSERT INTO users (id, username, display_name, bio, password_hash, session_token,"
        " created_at) VALUES (1, 'editor', 'The Editor', '', NULL, '', '2026-01-01 09:00:00')",
        "INSERT INTO categories (id, name, slug, description)"
        " VALUES (1, 'World News', 'world-news', '')",
        "INSERT INTO tags (id, name, slug) VALUES (1, 'Harbour', 'harbour')",
        "INSERT INTO posts (id, title, slug, body_format, body_source, body_html, excerpt,"
        " custom_excerpt, word_count, status, version, published_at, created_at, updated_at,"
        " author_id, category_id, image_id, image_alt) VALUES (1, 'Lighthouse reopens',"
        " 'lighthouse-reopens', 'markdown', 'The *keeper* is back.',"
        " '<p>The <em>keeper</em> is back.</p>', 'The keeper is back.', false, 4, 'published',"
        " 1, '2026-01-01 10:00:00', '2026-01-01 09:00:00', '2026-01-01 10:00:00', 1, 1,"
        " NULL, '')",
        "INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1)",
    ]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_one_head_and_a_straight_line():
    assert len(SCRIPTS.get_heads()) == 1
    assert REVISIONS[-1] == SCRIPTS.get_current_head()
    assert SCRIPTS.get_revision(REVISIONS[0]).down_revision is None


def test_step_by_step_upgrade_matches_the_models(app):
    for revision in REVISIONS:
        upgrade(revision=revision)
        assert current_revision() == revision
    assert schema_drift() == []


def test_downgrade_to_base_and_up_again(app):
    upgrade()
    downgrade(revision="base")
    assert current_revision() is None
    assert tables() <= {"alembic_version"}
    upgrade()
    assert current_revision() == REVISIONS[-1]
    assert schema_drift() == []


@pytest.mark.parametrize("start", REVISIONS)
def test_rows_survive_upgrade_from_every_revision(app, start):
    upgrade(revision=REVISIONS[0])
    add_rows_at_first_revision()
    upgrade(revision=start)
    upgrade()

    with db.engine.connect() as conn:
        post = conn.execute(
            text("SELECT title, slug, body_html, status, author_id, category_id FROM posts")
        ).one()
        tagged = conn.execute(text("SELECT post_id, tag_id FROM post_tags")).all()
    assert tuple(post) == (
        "Lighthouse reopens",
        "lighthouse-reopens",
        "<p>The <em>keeper</em> is back.</p>",
        "published",
        1,
        1,
    )
    assert [tuple(row) for row in tagged] == [(1, 1)]
    # A post written before search existed is found by its body's words.
    results = search_posts("keeper")
    assert [hit.post.slug for hit in results.items] == ["lighthouse-reopens"]
    assert schema_drift() == []


def test_rows_survive_downgrade_to_the_first_revision(app):
    """Going back (say, to roll back a deploy) keeps the posts and their tags."""
    upgrade(revision=REVISIONS[0])
    add_rows_at_first_revision()
    upgrade()
    downgrade(revision=REVISIONS[0])
    with db.engine.connect() as conn:
        slugs = conn.execute(text("SELECT slug FROM posts")).scalars().all()
        tagged = conn.execute(text("SELECT post_id, tag_id FROM post_tags")).all()
    assert slugs == ["lighthouse-reopens"]
    assert [tuple(row) for row in tagged] == [(1, 1)]
