"""Date is the HTTP server's to send: the app (and its page cache) never sets one.

A cached page must not carry the Date it was rendered at (RFC 9110 6.6.1: the time the
response is sent), and gunicorn, like Werkzeug's server, always sends its own: a Date from
the app would be a second one.
"""

import pytest


@pytest.mark.parametrize("path", ["/", "/feed.atom", "/feed.rss", "/sitemap.xml", "/robots.txt"])
def test_no_response_from_the_app_carries_a_date(app, client, content, path):
    content.post("A story")
    first = client.get(path)
    hits = app.wsgi_app.hits
    again = client.get(path)
    assert (first.status_code, again.status_code) == (200, 200)
    assert app.wsgi_app.hits == hits + 1, "the second request was not a cache hit"
    responses = [first, again, client.head(path)]
    if "ETag" in first.headers:
        responses.append(client.get(path, headers={"If-None-Match": first.headers["ETag"]}))
        assert responses[-1].status_code == 304
    for response in responses:
        assert "Date" not in response.headers, (path, response.status_code)


def test_full_renders_and_static_files_carry_no_date(app, client, content):
    app.config["PAGE_CACHE"] = False
    content.post("A story")
    home = client.get("/")
    css = client.get("/static/css/site.css")
    not_modified = client.get("/", headers={"If-None-Match": home.headers["ETag"]})
    assert not_modified.status_code == 304
    css.close()  # a file response
    for response in (home, css, not_modified, client.get("/no-such-page")):
        assert "Date" not in response.headers, response.request.path


def test_entries_keep_no_date(app, client, content):
    content.post("A story")
    client.get("/")
    client.get("/feed.atom")
    entries = app.wsgi_app.entries.values()
    assert entries and not any(n.lower() == "date" for e in entries for n, _ in e.headers)
