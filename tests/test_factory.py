"""The foundation: configuration, the secret key, SQLite settings, first start."""

import re
import stat

import pytest
from sqlalchemy import func, select, text

from blog import create_app
from blog.extensions import db
from blog.models import Category, Post


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("BLOG_SITE_TITLE", "Env Title")
    monkeypatch.setenv("BLOG_POSTS_PER_PAGE", "7")
    monkeypatch.setenv("BLOG_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    app = create_app()
    assert app.config["SITE_TITLE"] == "Env Title"
    assert app.config["POSTS_PER_PAGE"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")


def test_pooled_connections_are_pinged_only_for_a_database_server(tmp_path, monkeypatch):
    """A server may drop a pooled connection while it idles; a SQLite file cannot."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path))
    server = create_app({"DATABASE_URL": "postgresql+psycopg://blog@db.invalid/blog"})
    with server.app_context():
        assert db.engine.pool._pre_ping
    with create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite'}"}).app_context():
        assert not db.engine.pool._pre_ping


def test_settings_come_from_instance_config(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text('SITE_TAGLINE = "From the file"\n')
    app = create_app()
    assert app.config["SITE_TAGLINE"] == "From the file"


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    other = tmp_path / "other"
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(other))
    assert create_app().config["SECRET_KEY"] != first


@pytest.mark.sqlite_only("checks the SQLite pragmas")
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app):
    with app.app_context():
        assert db.session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        assert db.session.scalar(text("PRAGMA busy_timeout")) >= 5000


def test_setup_creates_welcome_content_once(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "welcome post" in result.output
    assert runner.invoke(args=["setup"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post)) == 1
        assert db.session.scalar(select(func.count()).select_from(Category)) == 1
    response = app.test_client().get("/")
    assert b"Welcome to your blog" in response.data


def test_demo_fills_the_site(app, runner):
    result = runner.invoke(args=["demo", "--posts", "120"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        published = select(func.count()).where(Post.status == "published")
        assert db.session.scalar(published) == 120  # exactly: archive pages fill alike
        assert db.session.scalar(select(func.count()).select_from(Post)) == 122  # 2 drafts
        names = set(db.session.scalars(select(Category.name)))
        assert "World News" in names and len(names) >= 5
        oldest, newest = db.session.execute(
            select(func.min(Post.published_at), func.max(Post.published_at))
        ).one()
        assert (newest - oldest).days > 365
    home = app.test_client().get("/")
    assert home.status_code == 200 and b"World News" in home.data


def test_demo_draws_pictures_for_two_posts_in_three(app, runner):
    from blog.models import Media

    result = runner.invoke(args=["demo", "--posts", "30", "--pictures", "3"])
    assert result.exit_code == 0 and "3 pictures" in result.output
    with app.app_context():
        pictures = db.session.scalars(select(Media)).all()
        assert len(pictures) == 3
        assert all(m.width == 1600 and m.height == 1000 and m.alt for m in pictures)
        with_image = select(func.count()).where(Post.image_id.is_not(None), Post.image_alt != "")
        assert db.session.scalar(with_image) == 20  # ids 1-30, all but every third
        slug = db.session.scalar(select(Post.slug).where(Post.image_id.is_not(None)).limit(1))
    home = app.test_client().get("/").text
    # Each picture card with its size and smaller copies; the story describes its picture.
    assert re.search(r'<img src="/media/\w+\.jpg" srcset="[^"]+-480\.jpg 480w', home)
    assert 'width="1600" height="1000"' in home
    assert 'alt="An abstract picture' in app.test_client().get(f"/posts/{slug}").text


def test_a_post_written_after_the_demo_gets_a_new_id(app, runner, content):
    """The demo writes its ids itself; the database must still number the next post."""
    assert runner.invoke(args=["demo", "--posts", "5"]).exit_code == 0
    slug = content.post("After the demo")
    with app.app_context():
        assert db.session.scalar(select(Post.id).where(Post.slug == slug)) == 6
