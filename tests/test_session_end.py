"""Ending sessions for good (sign out, sign out everywhere) and throttling password checks."""

import re

from sqlalchemy import select

from blog import accounts, throttle
from blog.extensions import db
from blog.models import SignInAttempt, User
from tests.conftest import make_app
from tests.helpers import PASSWORD, Auth, csrf_token

THIEF_ADDRESS = "203.0.113.7"
NEW_PASSWORD = "a brand new passphrase"


def copy_of_session(app, client, address: str = "127.0.0.1"):
    """Return a new client holding a copy of client's session cookie, as a thief would."""
    copy = app.test_client()
    copy.environ_base["REMOTE_ADDR"] = address
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def sign_out_everywhere(client):
    token = csrf_token(client, "/editor/profile")
    return client.post("/editor/profile/sign-out-everywhere", data={"csrf_token": token})


def change_password(client, current: str, new: str = NEW_PASSWORD):
    token = csrf_token(client, "/editor/profile")
    return client.post(
        "/editor/profile/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "confirm": new,
        },
    )


def password_still(app, password: str) -> bool:
    with app.app_context():
        return accounts.authenticate("editor", password) is not None


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


def assert_throttled(response):
    assert response.status_code == 429, response.status_code
    assert int(response.headers["Retry-After"]) > 0
    assert "Your password was not changed" in response.text
    # The reason sits beside the field, and nothing typed into a password field comes back.
    assert re.search(
        r'<p class="error" id="current_password-error">Too many wrong passwords\. '
        r"Try again in about \d+ minutes?\.</p>",
        response.text,
    ), response.text
    assert re.search(
        r'<input aria-describedby="[^"]*" aria-invalid="true"[^>]* id="current_password"',
        response.text,
    )
    assert PASSWORD not in response.text and NEW_PASSWORD not in response.text


def test_wrong_current_passwords_from_a_stolen_session_are_throttled(app, signed_in, caplog):
    thief = copy_of_session(app, signed_in, THIEF_ADDRESS)
    for n in range(throttle.USERNAME_LIMIT):
        refused = change_password(thief, f"guess number {n}")
        assert refused.status_code == 422
        assert "That is not your current password." in refused.text
        assert f"guess number {n}" not in refused.text
    # Even the right password is refused now, as on the sign-in form.
    assert_throttled(change_password(thief, PASSWORD))
    assert password_still(app, PASSWORD)
    assert "password check throttled for 'editor'" in caplog.text
    assert "guess number" not in caplog.text


def test_password_check_throttle_lives_in_the_database(app, tmp_path, signed_in):
    thief = copy_of_session(app, signed_in, THIEF_ADDRESS)
    for n in range(throttle.USERNAME_LIMIT):
        change_password(thief, f"guess number {n}")
    with app.app_context():
        failures = db.session.scalars(
            select(SignInAttempt).where(SignInAttempt.address == THIEF_ADDRESS)
        ).all()
        assert [(a.username, a.succeeded) for a in failures] == [("editor", False)] * len(failures)
        assert len(failures) == throttle.USERNAME_LIMIT

    # Another worker shares nothing with this one but the database (and the secret key).
    other_worker = make_app(tmp_path)
    thief_there = copy_of_session(other_worker, signed_in, THIEF_ADDRESS)
    assert_throttled(change_password(thief_there, PASSWORD))
    # A guess is a guess on either form: the sign-in form from there waits too.
    token = csrf_token(thief_there, "/editor/")
    sign_in = {"csrf_token": token, "username": "editor", "password": PASSWORD}
    assert thief_there.post("/auth/sign-in", data=sign_in).status_code == 429
    # The editor, at the address they signed in from, is not locked out; the change ends
    # every other session, copies of this one too, and keeps this one.
    assert change_password(signed_in, PASSWORD).status_code == 302
    assert password_still(app, NEW_PASSWORD)
    assert signed_in.get("/editor/").status_code == 200
    assert_sent_to_sign_in(thief)
    assert_sent_to_sign_in(thief_there)


def test_the_editors_own_address_is_throttled_after_the_address_limit(app, signed_in):
    for n in range(throttle.ADDRESS_LIMIT):
        assert change_password(signed_in, f"guess number {n}").status_code == 422
    assert_throttled(change_password(signed_in, PASSWORD))
    assert password_still(app, PASSWORD)
    assert signed_in.get("/editor/").status_code == 200  # a refusal is no sign-out
