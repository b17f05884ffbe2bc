"""Signing in and out, the one-time link, set-password, and session lifetimes."""

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from blog import accounts
from blog.extensions import db
from blog.models import SignInToken, User, utcnow
from tests.helpers import PASSWORD, Auth, csrf_token


def test_anonymous_editor_visit_goes_to_sign_in_and_comes_back(client, auth):
    response = client.get("/editor/posts/new")
    assert response.status_code == 302
    assert response.location == "/auth/sign-in?next=/editor/posts/new"
    token = csrf_token(client, response.location)
    signed = client.post(
        "/auth/sign-in",
        data={
            "csrf_token": token,
            "username": "editor",
            "password": PASSWORD,
            "next": "/editor/posts/new",
        },
    )
    assert signed.status_code == 302 and signed.location == "/editor/posts/new"
    assert client.get("/editor/posts/new").status_code == 200


HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/%09/evil.example",
    "evil.example",
    "///evil.example",
    "/\\/evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_leaves_the_site(auth, target):
    response = auth.sign_in(next=target)
    assert response.status_code == 302
    # Resolved the way a browser resolves Location: still this host.
    location = response.location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and not re.search(r"[\x00-\x20]", location)
    assert urlsplit(urljoin("http://blog.test/editor/", location)).netloc == "blog.test"


def test_wrong_password_is_refused_and_logged(client, auth, caplog):
    response = auth.sign_in(password="wrong password")
    assert response.status_code == 401
    assert "do not match" in response.text
    assert 'value="editor"' in response.text
    assert client.get("/editor/").status_code == 302
    assert "sign-in failed" in caplog.text and "wrong password" not in caplog.text


def test_unknown_user_and_account_without_password_cannot_sign_in(app, client, auth):
    assert auth.sign_in(username="nobody").status_code == 401
    with app.app_context():
        db.session.add(User(username="byline", display_name="A byline"))
        db.session.commit()
    assert auth.sign_in(username="byline", password="").status_code == 422
    assert auth.sign_in(username="byline", password="anything at all").status_code == 401


def test_sign_in_renews_the_session(client, auth):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.sign_in()
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_sign_out_is_a_post(signed_in):
    assert signed_in.get("/auth/sign-out").status_code == 405
    token = csrf_token(signed_in, "/editor/")
    assert signed_in.post("/auth/sign-out", data={}).status_code == 400
    assert signed_in.get("/editor/").status_code == 200
    assert signed_in.post("/auth/sign-out", data={"csrf_token": token}).status_code == 302
    assert signed_in.get("/editor/").status_code == 302


@pytest.mark.parametrize(
    "key, age", [("seen_at", timedelta(hours=3)), ("signed_in_at", timedelta(hours=13))]
)
def test_idle_and_absolute_session_lifetimes(signed_in, key, age):
    with signed_in.session_transaction() as session:
        session[key] = (utcnow() - age).timestamp()
    response = signed_in.get("/editor/")
    assert response.status_code == 302 and "/auth/sign-in" in response.location


def test_password_is_hashed_with_scrypt(app):
    # Not the editor fixture's account: its hash is made cheap on purpose (conftest).
    with app.app_context():
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


def test_setup_prints_a_one_time_link_that_sets_the_password(app, runner, client):
    output = runner.invoke(args=["setup", "--url", "http://127.0.0.1:5055"]).output
    link = re.search(r"http://127\.0\.0\.1:5055(/auth/welcome/\S+)", output).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Welcome" in page.text
    token = csrf_token(client, link)
    weak = client.post(
        link,
        data={
            "csrf_token": token,
            "username": "ed",
            "display_name": "Ed",
            "password": "short",
            "confirm": "short",
        },
    )
    assert "at least 8 characters" in weak.text
    strong = "a passphrase that is long enough " * 3
    done = client.post(
        link,
        data={
            "csrf_token": token,
            "username": "ed",
            "display_name": "Ed Itor",
            "password": strong,
            "confirm": strong,
        },
    )
    assert done.status_code == 302 and done.location == "/editor/"
    assert client.get("/editor/").status_code == 200
    assert client.get(link).status_code == 410
    assert "The Editor" not in client.get("/author/ed").text
    assert "Ed Itor" in client.get("/author/ed").text
    # A site with a password prints no link.
    assert "/auth/welcome/" not in runner.invoke(args=["setup"]).output


def test_one_time_link_expires(app, runner, client):
    output = runner.invoke(args=["setup"]).output
    link = re.search(r"(/auth/welcome/\S+)", output).group(1)
    with app.app_context():
        token = db.session.scalar(select(SignInToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(link).status_code == 410
    assert client.get("/auth/welcome/made-up-token").status_code == 410


def test_set_password_reads_a_line_from_stdin(app, runner, client):
    result = runner.invoke(args=["set-password", "alice"], input="x" * 80 + "\n")
    assert result.exit_code == 0, result.output
    assert Auth(client).sign_in(username="alice", password="x" * 80).status_code == 302
    again = runner.invoke(args=["set-password", "alice"], input="another long password\n")
    assert again.exit_code == 0
    assert Auth(client).sign_in(username="alice", password="x" * 80).status_code == 401


def test_set_password_refuses_short_passwords_and_a_second_editor(runner):
    assert runner.invoke(args=["set-password", "bob"], input="short\n").exit_code == 1
    assert runner.invoke(args=["set-password", "bob"], input="long enough pw\n").exit_code == 0
    second = runner.invoke(args=["set-password", "carol"], input="long enough pw\n")
    assert second.exit_code == 1 and "editor is 'bob'" in second.output


@pytest.mark.parametrize(
    "next_, location",
    [("", "/editor/"), ("/editor/posts/new", "/editor/posts/new"), ("//evil.example", "/editor/")],
)
def test_sign_in_page_sends_a_signed_in_editor_on(signed_in, next_, location):
    response = signed_in.get("/auth/sign-in", query_string={"next": next_} if next_ else {})
    assert response.status_code == 302 and response.location == location
    assert signed_in.head("/auth/sign-in").status_code == 302


def test_sign_in_page_still_asks_once_signed_out(signed_in, auth):
    auth.sign_out()
    response = signed_in.get("/auth/sign-in?next=/editor/")
    assert response.status_code == 200 and 'name="password"' in response.text
