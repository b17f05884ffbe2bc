"""Every route that is not a public read: refused to strangers and to forged requests.

The routes come from app.url_map, so a new editor page is covered the day it is added.
"""

import re

import pytest
from sqlalchemy import select, text

from blog.extensions import db
from blog.models import Category, Post, Revision, Tag, User, utcnow
from tests.helpers import Auth, csrf_token

SECRET = "Unpublished secret headline"
# Reads anyone may make, and the forms that must work before signing in.
PUBLIC = {"static", "auth.sign_in", "auth.welcome"}


@pytest.fixture
def seeded(app, editor):
    with app.app_context():
        author = db.session.scalar(select(User))
        category = Category(name="World News", slug="world-news", description="")
        post = Post(
            title=SECRET,
            slug="secret",
            body_source="Secret body",
            body_html="<p>x</p>",
            status="draft",
            author=author,
            category=category,
            tags=[Tag(name="Hidden", slug="hidden")],
            published_at=utcnow(),
        )
        db.session.add(post)
        db.session.flush()
        db.session.add(
            Revision(
                post_id=post.id,
                version=1,
                title=SECRET,
                body_format="markdown",
                body_source="old",
                saved_at=utcnow(),
            )
        )
        db.session.commit()


def snapshot(app) -> dict:
    """Return every row of every table, to prove a request changed nothing."""
    with app.app_context():
        return {
            table.name: sorted(map(repr, db.session.execute(text(f"SELECT * FROM {table.name}"))))
            for table in db.metadata.sorted_tables
        }


def guarded_requests(app):
    """Yield (method, url) for every route and method that is not a public read."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith("public."):
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
        url = re.sub(r"<path:\w+>", "x.png", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def form_data():
    return {
        "title": "Defaced",
        "body": "pwned",
        "name": "Defaced",
        "status": "publish",
        "body_format": "markdown",
        "category": "1",
        "version": "1",
        "image_id": "0",
        "slug": "defaced",
        "description": "pwned",
        "tagline": "pwned",
        "timezone": "UTC",
        "posts_per_page": "1",
        "display_name": "pwned",
        "bio": "pwned",
    }


def test_public_routes_are_only_reads(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("public.") or rule.endpoint == "static":
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_anonymous_requests_change_nothing_and_reveal_nothing(app, client, seeded):
    before = snapshot(app)
    probed = 0
    for method, url in guarded_requests(app):
        response = client.open(url, method=method, data=form_data())
        probed += 1
        assert response.status_code in (302, 400, 401, 404, 405), (method, url)
        if response.status_code == 302:
            assert response.location.startswith("/auth/sign-in"), (method, url)
        assert SECRET not in response.text and "Secret body" not in response.text, (method, url)
    assert snapshot(app) == before
    assert probed >= 16


def test_anonymous_sign_out_and_sign_in_routes_are_harmless(app, client, seeded):
    before = snapshot(app)
    client.post("/auth/sign-in", data={"username": "editor", "password": "nope"})
    client.post("/auth/welcome/nothing", data={"password": "x" * 20})
    assert snapshot(app) == before


@pytest.mark.parametrize("token", ["missing", "wrong", "other-session"])
def test_state_changing_requests_need_this_sessions_csrf_token(app, client, seeded, token):
    other = app.test_client()
    Auth(other).sign_in()
    stolen = csrf_token(other, "/editor/")
    Auth(client).sign_in()
    before = snapshot(app)
    refused = 0
    for method, url in guarded_requests(app):
        if method == "GET":
            continue
        data = form_data()
        if token == "wrong":
            data["csrf_token"] = "IjAxMjM0NTY3ODlhYmNkZWYi.Zz9x0A.forged-signature"
        elif token == "other-session":
            data["csrf_token"] = stolen
        response = client.open(url, method=method, data=data)
        assert response.status_code in (400, 405), (method, url, response.status_code)
        refused += 1
    assert snapshot(app) == before
    assert refused >= 8
    assert client.get("/editor/").status_code == 200
