"""The short cuts that keep an anonymous GET cheap answer exactly as the long way would."""

import pytest
from flask import Request, Response
from flask_login.utils import encode_cookie
from werkzeug.test import EnvironBuilder

from blog import accounts, cache
from blog.extensions import db
from blog.public.views import CACHE_CONTROL
from blog.security import set_security_headers
from tests.helpers import PASSWORD

LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


def _response(streamed: bool = False) -> Response:
    response = Response(iter([b"body"]) if streamed else "body")
    response.set_etag("abc")
    response.headers["Last-Modified"] = LAST_MODIFIED
    return response


@pytest.mark.parametrize(
    "method, headers, streamed",
    [
        ("GET", {}, False),
        ("HEAD", {}, False),
        ("POST", {}, False),
        ("GET", {}, True),
        ("GET", {"If-None-Match": '"abc"'}, False),
        ("GET", {"If-None-Match": 'W/"abc", "other"'}, False),
        ("GET", {"If-None-Match": '"other"'}, False),
        ("GET", {"If-None-Match": "*"}, False),
        ("GET", {"If-Modified-Since": LAST_MODIFIED}, False),
        ("GET", {"If-Modified-Since": "Tue, 20 Oct 2015 07:28:00 GMT"}, False),
        ("GET", {"If-Modified-Since": "not a date"}, False),
        ("GET", {"If-Match": '"nope"'}, False),
        ("GET", {"If-Match": '"abc"'}, False),
        ("GET", {"Range": "bytes=0-1", "If-Range": '"abc"'}, False),
        ("HEAD", {"If-None-Match": '"abc"'}, False),
    ],
)
def test_make_conditional_answers_as_werkzeug_does(method, headers, streamed):
    environ = EnvironBuilder(method=method, headers=headers).get_environ()
    ours = cache.make_conditional(_response(streamed), environ)
    theirs = _response(streamed).make_conditional(environ)
    assert ours.status_code == theirs.status_code
    # The same headers in the same order, but for Werkzeug's Date, which the app drops
    # later anyway (the HTTP server sends the Date: tests/test_cache_date.py).
    assert [h for h in ours.headers if h[0] != "Date"] == [
        h for h in theirs.headers if h[0] != "Date"
    ]


def test_stamp_date_is_the_stamps_second():
    assert cache.stamp_date(1445412480_999_999_999) == LAST_MODIFIED


@pytest.mark.parametrize("path, private", [("/media/a.png", False), ("/editor/", True)])
def test_security_headers_keep_what_a_view_set_and_add_the_rest(app, path, private):
    with app.test_request_context(path, base_url="https://blog.test"):
        response = Response("x")
        # Names in any case count: a view's header is never doubled or replaced.
        response.headers["content-security-policy"] = "default-src 'none'; sandbox"
        response.headers["X-FRAME-OPTIONS"] = "DENY"
        set_security_headers(response)
    headers = response.headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]
    assert headers.getlist("X-Frame-Options") == ["DENY"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == (
        "same-origin" if private else "strict-origin-when-cross-origin"
    )
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Permissions-Policy"].startswith("camera=()")
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert len(headers) == len({name.lower() for name, _ in headers})


@pytest.mark.parametrize("page_cache", [False, True])
def test_a_cookieless_reader_gets_no_cookie_and_a_vary(app, client, content, page_cache):
    app.config["PAGE_CACHE"] = page_cache
    content.post("A story")
    for url in ("/", "/robots.txt", "/feed.atom", "/nope"):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        # A proxy must not hand a reader's copy to the editor, whose cookie changes the page.
        assert "Cookie" in response.headers["Vary"], url
    assert client.get("/").headers["Cache-Control"] == CACHE_CONTROL


def test_a_remember_cookie_signs_no_one_in(app, client, editor):
    # The blog never sets one; a valid one (as Flask-Login makes them, from a live session's
    # key) still counts for nothing: it is past the session rules' lifetime from the start.
    with app.app_context():
        key = accounts.start_editor_session(accounts.ensure_editor_account())
        db.session.commit()
        client.set_cookie("remember_token", encode_cookie(key))
    response = client.get("/editor/")
    assert response.status_code == 302 and "/auth/sign-in" in response.location
    assert client.get("/").headers["Cache-Control"] == CACHE_CONTROL


def test_a_post_without_its_token_is_refused(client, editor):
    response = client.post("/auth/sign-in", data={"username": editor, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/editor/").status_code == 302


def test_absolute_urls_follow_each_requests_host(client):
    for base in ("https://a.example", "http://b.example", "http://a.example:8080"):
        text = client.get("/robots.txt", base_url=base).text
        assert f"Sitemap: {base}/sitemap.xml" in text, base


@pytest.mark.parametrize(
    "base", ["http://a.example", "https://a.example:8443/blog", "http://xn--bcher-kva.example"]
)
def test_root_url_is_werkzeugs(app, base):
    with app.test_request_context("/", base_url=base) as ctx:
        assert ctx.request.url_root == Request(ctx.request.environ).url_root
