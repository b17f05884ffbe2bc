"""Hardening: response headers, cookies, trusted hosts, size limits, sign-in throttling."""

import re
from datetime import timedelta

import pytest

from blog import throttle
from blog.models import utcnow
from tests.helpers import PASSWORD, Auth, csrf_token


@pytest.mark.parametrize(
    "url, private",
    [
        ("/", False),
        ("/nope", False),
        ("/archive/", False),
        ("/auth/sign-in", True),
        ("/editor/", True),
    ],
)
def test_security_headers_on_every_page(client, editor, url, private):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in [
        "object-src 'none'",
        "base-uri 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ]:
        assert directive in csp
    assert (
        f"frame-ancestors {'none' if private else 'self'}".replace("none", "'none'").replace(
            "self", "'self'"
        )
        in csp
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://blog.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_templates_have_no_inline_script_or_style(app):
    """The CSP forbids them, so none may creep in (JSON-LD data blocks are not scripts)."""
    from pathlib import Path

    for path in Path(app.template_folder).rglob("*.html"):
        text = path.read_text()
        assert " style=" not in text and "<style" not in text, path
        for tag in re.findall(r"<script[^>]*>", text):
            assert 'type="application/ld+json"' in tag or "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", text), path


def test_session_cookie_flags(app, client, auth):
    response = auth.sign_in()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    again = Auth(app.test_client()).sign_in()
    assert "Secure" in again.headers["Set-Cookie"]


def test_trusted_hosts(app, client):
    app.config["TRUSTED_HOSTS"] = ["news.example"]
    assert client.get("/", base_url="http://news.example").status_code == 200
    assert client.get("/", base_url="http://evil.example").status_code == 400


def test_too_large_request_gets_a_clear_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post("/auth/sign-in", data={"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than this site accepts (1 MB at most)" in response.text


def test_debug_is_off_unless_asked(app):
    assert app.debug is False and app.config["PROPAGATE_EXCEPTIONS"] is None


def test_failed_sign_ins_for_a_username_are_throttled(app, client, auth, caplog):
    for _ in range(throttle.USERNAME_LIMIT):
        assert auth.sign_in(password="wrong guess").status_code == 401
    refused = auth.sign_in()  # even the right password waits now
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "sign-in throttled" in caplog.text and "wrong guess" not in caplog.text


def test_throttle_holds_across_processes_because_it_is_in_the_database(app, client, auth):
    for _ in range(throttle.USERNAME_LIMIT):
        auth.sign_in(password="wrong guess")
    other_process = Auth(app.test_client())  # shares nothing but the database
    assert other_process.sign_in().status_code == 429


def test_an_attacker_cannot_lock_the_editor_out(app, client, auth):
    assert auth.sign_in().status_code == 302  # the editor's usual address is now trusted
    auth.sign_out()
    attacker = app.test_client()
    for n in range(throttle.USERNAME_LIMIT + 3):
        attacker.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
        Auth(attacker).sign_in(password="guess")
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.250"
    assert Auth(attacker).sign_in().status_code == 429
    assert auth.sign_in().status_code == 302


def test_an_address_is_refused_after_many_failures_on_any_username(app, client, auth):
    for n in range(throttle.ADDRESS_LIMIT):
        auth.sign_in(username=f"user{n}", password="guess")
    assert auth.sign_in(username="someone-else", password="guess").status_code == 429


def test_throttle_window_slides_and_set_password_clears_it(app, client, auth, runner, monkeypatch):
    for _ in range(throttle.USERNAME_LIMIT):
        auth.sign_in(password="wrong guess")
    assert auth.sign_in().status_code == 429
    later = utcnow() + throttle.WINDOW + timedelta(seconds=5)
    monkeypatch.setattr("blog.throttle.utcnow", lambda: later)
    assert auth.sign_in().status_code == 302
    monkeypatch.undo()
    auth.sign_out()
    for _ in range(throttle.USERNAME_LIMIT):
        Auth(app.test_client()).sign_in(password="wrong guess")
    result = runner.invoke(args=["set-password", "editor"], input=PASSWORD + "\n")
    assert result.exit_code == 0
    assert Auth(app.test_client()).sign_in().status_code == 302


def test_reauthentication_in_the_post_form_is_throttled_too(app, client, auth):
    for _ in range(throttle.USERNAME_LIMIT):
        auth.sign_in(password="wrong guess")
    token = csrf_token(client, "/auth/sign-in")
    response = client.post(
        "/editor/posts/new",
        data={
            "csrf_token": token,
            "title": "Kept",
            "body": "Kept text",
            "reauth_username": "editor",
            "reauth_password": PASSWORD,
        },
    )
    assert response.status_code == 401
    assert "Too many failed sign-ins" in response.text and "Kept text" in response.text
