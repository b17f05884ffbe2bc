"""Ending sessions for good (sign out, sign out everywhere) and throttling password checks."""

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from blog import accounts, cache, throttle
from blog.extensions import db
from blog.models import EditorSession, SignInAttempt, utcnow
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


def signed_in_elsewhere(app):
    """Return a new client signed in on its own, as another browser or device would be."""
    elsewhere = app.test_client()
    assert Auth(elsewhere).sign_in().status_code == 302
    return elsewhere


def sign_out_everywhere(client):
    token = csrf_token(client, "/editor/profile")
    return client.post("/editor/profile/sign-out-everywhere", data={"csrf_token": token})


def sign_out_elsewhere(client):
    token = csrf_token(client, "/editor/profile")
    return client.post("/editor/profile/sign-out-elsewhere", data={"csrf_token": token})


def session_key(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def stored_sessions(app) -> list[tuple[str, object, object]]:
    """Return (key hash, created at, last seen at) of every stored session, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(
                EditorSession.key_hash, EditorSession.created_at, EditorSession.last_seen_at
            ).order_by(EditorSession.id)
        )
        return [tuple(row) for row in rows]


def age_sessions(app, **columns: timedelta) -> None:
    """Move every stored session's times back, e.g. last_seen_at=timedelta(hours=3)."""
    with app.app_context():
        for row in db.session.scalars(select(EditorSession)):
            for name, age in columns.items():
                setattr(row, name, getattr(row, name) - age)
        db.session.commit()


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


def test_signing_out_ends_this_session_and_its_copies_but_no_other(app, signed_in, auth):
    copy = copy_of_session(app, signed_in)
    elsewhere = signed_in_elsewhere(app)
    assert copy.get("/editor/").status_code == 200
    assert auth.sign_out().status_code == 302
    assert_sent_to_sign_in(copy)
    assert_sent_to_sign_in(signed_in)
    # The other browser signed in on its own: it stays signed in.
    assert elsewhere.get("/editor/").status_code == 200
    assert len(stored_sessions(app)) == 1
    # Signing in again works, and the old copy stays dead.
    assert auth.sign_in().status_code == 302
    assert signed_in.get("/editor/").status_code == 200
    assert_sent_to_sign_in(copy)
    assert elsewhere.get("/editor/").status_code == 200


def test_the_database_holds_a_hash_of_the_session_key_not_the_key(app, signed_in):
    key = session_key(signed_in)
    [(key_hash, _, _)] = stored_sessions(app)
    assert key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in key_hash
    # A session id of the old design (user id and account token) names no session.
    with signed_in.session_transaction() as session:
        session["_user_id"] = f"1:{key_hash}"
    assert_sent_to_sign_in(signed_in)


def test_signing_in_again_replaces_this_browsers_session(app, signed_in):
    [(before, _, _)] = stored_sessions(app)
    copy = copy_of_session(app, signed_in)
    # The sign-in page sends a signed-in editor on; the form, posted again, signs in anew.
    token = csrf_token(signed_in, "/editor/")
    data = {"csrf_token": token, "username": "editor", "password": PASSWORD}
    assert signed_in.post("/auth/sign-in", data=data).status_code == 302
    [(after, _, _)] = stored_sessions(app)
    assert after != before
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
    elsewhere = signed_in_elsewhere(app)

    response = sign_out_everywhere(signed_in)
    assert response.status_code == 302
    assert response.location == "/auth/sign-in?next=/editor/profile"
    page = signed_in.get(response.location).text
    assert "You are signed out everywhere" in page
    for client in (signed_in, copy, elsewhere):
        assert_sent_to_sign_in(client)
    assert stored_sessions(app) == []
    assert Auth(signed_in).sign_in().status_code == 302
    assert signed_in.get("/editor/").status_code == 200
    assert_sent_to_sign_in(copy)
    assert_sent_to_sign_in(elsewhere)


def test_sign_out_everywhere_else_keeps_only_this_browser(app, signed_in):
    assert "Only here, in this browser." in signed_in.get("/editor/profile").text
    assert "Sign out everywhere else" not in signed_in.get("/editor/profile").text
    copy = copy_of_session(app, signed_in)
    elsewhere = signed_in_elsewhere(app)
    page = signed_in.get("/editor/profile").text
    # A copy of this browser's cookie is this session: only the other browser counts.
    assert "Here, and in 1 other session: other browsers or devices." in page
    elsewhere_too = signed_in_elsewhere(app)
    assert "Here, and in 2 other sessions" in signed_in.get("/editor/profile").text
    assert re.search(
        r'<form method="post" action="/editor/profile/sign-out-elsewhere"[^>]*>\s*'
        r'<input type="hidden" name="csrf_token" value="[^"]+">\s*'
        r'<button type="submit"[^>]*>Sign out everywhere else</button>',
        page,
    ), page
    _, started, _ = stored_sessions(app)[0]

    response = sign_out_elsewhere(signed_in)
    assert response.status_code == 302 and response.location == "/editor/profile"
    page = signed_in.get(response.location).text
    assert "You are signed out everywhere else" in page
    assert "Only here, in this browser." in page
    # The copy of this browser's cookie is another session too: this one has a new key.
    for client in (copy, elsewhere, elsewhere_too):
        assert_sent_to_sign_in(client)
    assert signed_in.get("/editor/").status_code == 200
    # The kept session still counts its absolute lifetime from when it signed in.
    [(_, kept_start, _)] = stored_sessions(app)
    assert kept_start == started


def test_sign_out_everywhere_else_is_a_post_with_its_token(app, signed_in):
    url = "/editor/profile/sign-out-elsewhere"
    elsewhere = signed_in_elsewhere(app)
    assert signed_in.get(url).status_code == 405
    assert signed_in.post(url, data={}).status_code == 400
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/auth/sign-in")
    assert anonymous.post(url, data={"csrf_token": token}).status_code == 401
    assert len(stored_sessions(app)) == 2
    assert elsewhere.get("/editor/").status_code == 200


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, signed_in):
    copy = copy_of_session(app, signed_in)
    elsewhere = signed_in_elsewhere(app)
    assert change_password(signed_in, PASSWORD).status_code == 302
    assert signed_in.get("/editor/").status_code == 200
    assert "Only here, in this browser." in signed_in.get("/editor/profile").text
    for client in (copy, elsewhere):
        assert_sent_to_sign_in(client)
    assert len(stored_sessions(app)) == 1


def test_set_password_at_the_console_ends_every_session(app, runner, signed_in):
    elsewhere = signed_in_elsewhere(app)
    result = runner.invoke(args=["set-password", "editor"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    for client in (signed_in, elsewhere):
        assert_sent_to_sign_in(client)
    assert stored_sessions(app) == []


def test_the_server_ends_an_idle_session_whatever_its_cookie_says(app, signed_in):
    copy = copy_of_session(app, signed_in)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]) + accounts.SEEN_EVERY
    age_sessions(app, last_seen_at=idle - timedelta(minutes=1))
    assert signed_in.get("/editor/").status_code == 200
    age_sessions(app, last_seen_at=idle)
    # The copy's cookie was never idle, yet the session it names is.
    assert_sent_to_sign_in(copy)
    assert_sent_to_sign_in(signed_in)


def test_the_server_ends_a_session_past_its_absolute_lifetime(app, signed_in):
    age_sessions(app, created_at=timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"], seconds=1))
    assert_sent_to_sign_in(copy_of_session(app, signed_in))


def test_expired_sessions_are_deleted_when_someone_signs_in(app, signed_in):
    elsewhere = signed_in_elsewhere(app)
    age_sessions(app, last_seen_at=timedelta(days=1), created_at=timedelta(days=1))
    assert stored_sessions(app) != []
    assert_sent_to_sign_in(elsewhere)
    signed_in_elsewhere(app)
    assert len(stored_sessions(app)) == 1


def test_a_session_expired_by_its_cookie_is_deleted(app, signed_in):
    with signed_in.session_transaction() as session:
        session["seen_at"] = 0  # idle for decades
    assert_sent_to_sign_in(signed_in)
    assert stored_sessions(app) == []


def test_last_seen_is_written_every_few_minutes_not_every_request(app, signed_in, count_queries):
    [(_, _, seen)] = stored_sessions(app)
    _, statements = count_queries(lambda: signed_in.get("/editor/"))
    # One statement finds the session and its account together, and nothing is written.
    [found] = [s for s in statements if "editor_sessions" in s or "FROM users" in s]
    assert "JOIN editor_sessions" in found
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements), statements
    assert stored_sessions(app)[0][2] == seen

    age_sessions(app, last_seen_at=accounts.SEEN_EVERY)
    assert signed_in.get("/editor/").status_code == 200
    [(_, _, seen_now)] = stored_sessions(app)
    assert seen_now >= seen and utcnow() - seen_now < timedelta(minutes=1)


def test_signing_in_and_out_leaves_the_public_page_cache_alone(app, signed_in, auth, runner):
    stamp = app.config["PAGE_CACHE_STAMP"]
    before = cache.read_stamp(stamp)
    elsewhere = signed_in_elsewhere(app)
    assert sign_out_elsewhere(signed_in).status_code == 302
    age_sessions(app, last_seen_at=accounts.SEEN_EVERY)
    assert signed_in.get("/editor/").status_code == 200
    assert auth.sign_out().status_code == 302
    assert auth.sign_in().status_code == 302
    assert sign_out_everywhere(signed_in).status_code == 302
    assert_sent_to_sign_in(elsewhere)
    assert cache.read_stamp(stamp) == before


def test_sign_out_everywhere_is_a_post_with_its_token_from_a_signed_in_editor(app, signed_in):
    url = "/editor/profile/sign-out-everywhere"
    assert signed_in.get(url).status_code == 405
    assert signed_in.post(url, data={}).status_code == 400
    assert signed_in.get("/editor/").status_code == 200
    sessions = stored_sessions(app)
    anonymous = app.test_client()
    assert (
        anonymous.post(url, data={"csrf_token": csrf_token(anonymous, "/auth/sign-in")}).status_code
        == 401
    )
    assert stored_sessions(app) == sessions
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
