"""Autosave: the form as typed is kept apart from the post, offered back, and never published."""

import html
import re

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Autosave, Post
from tests.helpers import Auth, csrf_token, post_form_data


@pytest.fixture
def published(signed_in, category_id, app):
    """A published post written through the form; returns its id."""
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Harbour", body="Saved text.",
        status="publish",
    )  # fmt: skip
    response = signed_in.post("/editor/posts/new", data=data)
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1])


def autosave(client, url, category_id, post_id=None, **fields):
    data = post_form_data(client, url, category_id, **fields)
    if post_id:
        data["post_id"] = str(post_id)
    return client.post("/editor/posts/autosave", data=data)


def autosaves(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Autosave))


def test_autosave_keeps_the_form_and_leaves_the_published_post_alone(
    app, client, signed_in, category_id, published
):
    url = f"/editor/posts/{published}"
    response = autosave(
        signed_in, url, category_id, published, title="Harbour", body="Half-written *news*."
    )
    assert response.status_code == 200, response.text
    answer = response.get_json()
    assert re.fullmatch(r"\d\d:\d\d", answer["saved_at"]) and answer["csrf_token"]
    with app.app_context():
        post = db.session.get(Post, published)
        assert post.body_source == "Saved text." and post.version == 1
    assert "Half-written" not in client.get("/posts/harbour").text

    page = signed_in.get(url).text
    assert f"Restore the autosaved version from {answer['saved_at']}" in page
    # The form itself still holds the saved post until the editor asks for the autosave.
    assert "Saved text.</textarea>" in page

    restored = signed_in.get(url + "?autosave=restore").text
    assert "Half-written *news*.</textarea>" in html.unescape(restored)
    assert "not saved yet" in restored
    assert 'name="version" type="hidden" value="1"' in restored


def test_saving_the_post_discards_its_autosave(app, signed_in, category_id, published):
    url = f"/editor/posts/{published}"
    autosave(signed_in, url, category_id, published, body="Typed, then saved.")
    assert autosaves(app) == 1
    data = post_form_data(signed_in, url, category_id, title="Harbour", body="Typed, then saved.")
    assert signed_in.post(url, data=data).status_code == 302
    assert autosaves(app) == 0
    assert "Restore the autosaved version" not in signed_in.get(url).text


def test_a_new_post_is_autosaved_offered_and_discarded(app, signed_in, category_id):
    url = "/editor/posts/new"
    assert (
        autosave(signed_in, url, category_id, title="Draft idea", body="Notes").status_code == 200
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    page = signed_in.get(url).text
    assert "Restore the autosaved version from" in page
    assert 'value="Draft idea"' in signed_in.get(url + "?autosave=restore").text
    response = signed_in.post(
        "/editor/posts/autosave/discard", data={"csrf_token": csrf_token(signed_in, url)}
    )
    assert response.status_code == 302 and response.location == url
    assert autosaves(app) == 0
    assert "Restore the autosaved version" not in signed_in.get(url).text


def test_autosaving_again_replaces_the_last_one(app, signed_in, category_id, published):
    url = f"/editor/posts/{published}"
    autosave(signed_in, url, category_id, published, body="One")
    autosave(signed_in, url, category_id, published, body="Two")
    with app.app_context():
        assert db.session.scalars(select(Autosave.body_source)).all() == ["Two"]


def test_autosave_needs_a_session_and_a_token(app, client, editor, category_id):
    token = csrf_token(client, "/auth/sign-in")
    response = client.post(
        "/editor/posts/autosave", data={"csrf_token": token, "title": "x", "body": "y"}
    )
    assert response.status_code == 401
    Auth(client).sign_in()
    response = client.post("/editor/posts/autosave", data={"title": "x", "body": "y"})
    assert response.status_code == 400 and response.get_json()["error"] == "expired"
    assert autosaves(app) == 0


def test_autosave_of_an_unknown_post_is_refused(app, signed_in, category_id):
    response = autosave(signed_in, "/editor/posts/new", category_id, post_id=999, body="x")
    assert response.status_code == 404
    assert autosaves(app) == 0


def test_the_desk_script_and_bar_are_on_the_form(signed_in):
    page = signed_in.get("/editor/posts/new").text
    assert "/static/js/desk.js" in page and 'class="desk-bar actions"' in page
    assert "<script>" not in page  # no inline script: the CSP allows files only
    script = signed_in.get("/static/js/desk.js")
    script.close()
    assert script.status_code == 200
