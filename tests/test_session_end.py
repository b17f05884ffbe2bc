"""Ending sessions for good (sign out, sign out everywhere) and throttling password checks."""

import re

from sqlalchemy import select

from blog.extensions import db
from blog.models import User
from tests.helpers import Auth, csrf_token


def copy_of_session(app, client, address: str = "127.0.0.1"):
    """Return a new client holding a copy of client's session cookie, as a thief would."""
    copy = app.test_client()
    copy.environ_base["REMOTE_ADDR"] = address
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def sign_out_everywhere(client):
    token = csrf_token(client, "/editor/profile")
    return client.post("/editor/profile/sign-out-everywhere", data={"csrf_token": token})


def assert_sent_to_sign_in(client):
    response = client.get("/editor/")
    assert response.status_code == 302 and response.location.startswith("/auth/sign-in"), (
        response.status_code
    )


def test_a_copied_session_cookie_stops_working_once_signed_out(app, signed_in, auth):
    copy = copy_of_session(app, signed_in)
    assert copy.get("/editor/").status_code == 200
    assert auth.sign_out().status_code == 302
    assert_sent_to_sign_in(copy)
    assert_sent_to_sign_in(signed_in)
    # Signing in again works, and the old copy stays dead.
    assert auth.sign_in().status_code == 302
    assert signed_in.get("/editor/").status_code == 200
    assert_sent_to_sign_in(copy)


def test_sign_out_everywhere_ends_every_session_this_one_too(app, signed_in):
    page = signed_in.get("/editor/profile").text
    assert re.search(
        r'<form method="post" action="/editor/profile/sign-out-everywhere"[^>]*>\s*'
        r'<input type="hidden" name="csrf_token" value="[^"]+">\s*'
        r'<button type="submit"[^>]*>Sign out everywhere</button>',
        page,
    ), page
    copy = copy_of_session(app, signed_in)
    elsewhere = app.test_client()
    assert Auth(elsewhere).sign_in().status_code == 302

    response = sign_out_everywhere(signed_in)
    assert response.status_code == 302
    assert response.location == "/auth/sign-in?next=/editor/profile"
    page = signed_in.get(response.location).text
    assert "You are signed out everywhere" in page
    for client in (signed_in, copy, elsewhere):
        assert_sent_to_sign_in(client)
    assert Auth(signed_in).sign_in().status_code == 302
    assert signed_in.get("/editor/").status_code == 200
    assert_sent_to_sign_in(copy)


def test_sign_out_everywhere_is_a_post_with_its_token_from_a_signed_in_editor(app, signed_in):
    url = "/editor/profile/sign-out-everywhere"
    assert signed_in.get(url).status_code == 405
    assert signed_in.post(url, data={}).status_code == 400
    assert signed_in.get("/editor/").status_code == 200
    with app.app_context():
        token = db.session.scalar(select(User.session_token))
    anonymous = app.test_client()
    assert (
        anonymous.post(url, data={"csrf_token": csrf_token(anonymous, "/auth/sign-in")}).status_code
        == 401
    )
    with app.app_context():
        assert db.session.scalar(select(User.session_token)) == token
    assert signed_in.get("/editor/").status_code == 200
