"""Site settings and the editor's profile, through the routes, as a browser submits them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog import accounts
from blog.extensions import db
from blog.models import Setting, User, utcnow
from blog.settings import SiteSettings, save_settings

PASSWORD = "correct horse battery staple"
SETTINGS = {
    "title": "The Daily Flask",
    "tagline": "All the news that fits",
    "timezone": "UTC",
    "posts_per_page": "10",
}


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def submit(client, url: str, data: dict, page: str | None = None):
    """Open the form's page as a browser would, then post the form with its token."""
    token = csrf_token(client.get(page or url).text)
    return client.post(url, data={**data, "csrf_token": token})


def sign_in(client, username: str, password: str):
    return submit(client, "/auth/sign-in", {"username": username, "password": password})


@pytest.fixture
def editor(app, client):
    """Sign the test client in as the site's editor."""
    with app.app_context():
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        db.session.commit()
        username = user.username
    assert sign_in(client, username, PASSWORD).status_code == 302
    return username


def stored_settings(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Setting.key, Setting.value)).all())


def titles(response) -> list[str]:
    # The listing's own cards: the home page's section blocks below them repeat older posts.
    listing = response.text.split('<div class="front-sections">')[0]
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', listing)


def test_settings_form_shows_current_values(client, editor):
    page = client.get("/editor/settings")
    assert page.status_code == 200
    assert "<h1>Site settings</h1>" in page.text
    assert 'value="My Blog"' in page.text and 'value="News and stories"' in page.text
    assert '<option selected value="UTC">UTC</option>' in page.text
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page.text
    assert re.search(r'<input[^>]*id="posts_per_page"[^>]*type="number"[^>]*value="10"', page.text)
    for name in SETTINGS:
        assert f'<label for="{name}">' in page.text


def test_title_and_tagline_change_the_public_masthead(app, client, editor):
    response = submit(client, "/editor/settings", SETTINGS)
    assert response.status_code == 302 and response.headers["Location"] == "/editor/settings"
    assert "Settings saved." in client.get("/editor/settings").text
    home = client.get("/").text
    assert '<p class="site-title"><a href="/" rel="home">The Daily Flask</a></p>' in home
    assert '<p class="tagline">All the news that fits</p>' in home
    assert "<title>The Daily Flask · All the news that fits</title>" in home
    assert stored_settings(app) == {**SETTINGS, "typographic_quotes": "0"}


def test_empty_tagline_is_allowed(app, client, editor):
    submit(client, "/editor/settings", {**SETTINGS, "tagline": ""})
    assert 'class="tagline"' not in client.get("/").text


def test_time_zone_changes_displayed_dates(client, editor, content):
    # 23:30 UTC on 31 January is already 1 February in Tokyo.
    slug = content.post("Late night", published_at=utcnow().replace(2024, 1, 31, 23, 30))
    before = client.get(f"/posts/{slug}").text
    assert 'datetime="2024-01-31T23:30+00:00">January 31, 2024</time>' in before
    submit(client, "/editor/settings", {**SETTINGS, "timezone": "Asia/Tokyo"})
    after = client.get(f"/posts/{slug}").text
    assert 'datetime="2024-02-01T08:30+09:00">February 1, 2024</time>' in after
    assert "Late night" in client.get("/archive/2024/2/").text
    assert '<option selected value="Asia/Tokyo">' in client.get("/editor/settings").text


def test_posts_per_page_changes_home_pagination(client, editor, content):
    for n in range(5):
        content.post(f"Story {n}", ago=timedelta(hours=n))
    assert len(titles(client.get("/"))) == 5
    submit(client, "/editor/settings", {**SETTINGS, "posts_per_page": "2"})
    first = client.get("/")
    assert titles(first) == ["Story 0", "Story 1"]
    assert 'rel="next" href="/?page=2"' in first.text
    assert titles(client.get("/?page=3")) == ["Story 4"]
    assert client.get("/?page=4").status_code == 404


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("posts_per_page", "0", "Choose a number from 1 to 50."),
        ("posts_per_page", "51", "Choose a number from 1 to 50."),
        ("posts_per_page", "abc", "That is not a whole number."),
        ("timezone", "Mars/Olympus_Mons", "is not a time zone this site knows"),
        ("title", "   ", "Give the site a title."),
    ],
)
def test_invalid_settings_come_back_as_typed_with_the_reason(
    app, client, editor, field, typed, message
):
    data = {**SETTINGS, "title": "Typed title", "tagline": "Typed tagline", field: typed}
    response = submit(client, "/editor/settings", data)
    assert response.status_code == 422
    page = response.text
    assert "Nothing was saved" in page
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error[1]
    assert re.search(rf'aria-describedby="[^"]*{field}-error" aria-invalid="true"', page)
    for name, value in data.items():
        if name != "timezone":
            assert f'value="{value}"' in page, name
    if field == "timezone":
        assert "Mars/Olympus_Mons" in error[1]
    assert stored_settings(app) == {}
    assert '<a href="/" rel="home">My Blog</a>' in client.get("/").text


@pytest.mark.parametrize(
    ("timezone", "per_page"), [("Mars/Olympus_Mons", 10), ("../etc/passwd", 10), ("UTC", 0)]
)
def test_save_settings_refuses_values_that_would_break_every_page(app, timezone, per_page):
    with app.test_request_context(), pytest.raises(ValueError):
        save_settings(SiteSettings("Title", "", timezone, per_page))
    assert stored_settings(app) == {}


def test_profile_name_and_bio_appear_on_the_author_page(app, client, editor, content):
    content.post("By me", author=editor)
    page = client.get("/editor/profile").text
    assert "<h1>Your profile</h1>" in page and 'value="The Editor"' in page
    response = submit(
        client,
        "/editor/profile",
        {"display_name": "Ada Reporter", "bio": "Writes about <science> & the sea."},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/editor/profile"
    assert "Profile saved." in client.get("/editor/profile").text
    author = client.get(f"/author/{editor}").text
    assert "<h1>Ada Reporter</h1>" in author
    assert "Writes about &lt;science&gt; &amp; the sea." in author
    assert "By me" in author
    assert 'href="/author/editor">Ada Reporter</a>' in client.get("/").text


def test_empty_display_name_comes_back_as_typed(app, client, editor):
    response = submit(client, "/editor/profile", {"display_name": "", "bio": "Typed bio"})
    assert response.status_code == 422
    assert '<p class="error" id="display_name-error">Give the name readers see.</p>' in (
        response.text
    )
    assert "Typed bio</textarea>" in response.text
    with app.app_context():
        assert db.session.scalar(select(User.display_name)) == "The Editor"


def change_password(client, current: str, new: str, confirm: str | None = None):
    return submit(
        client,
        "/editor/profile/password",
        {"current_password": current, "new_password": new, "confirm": confirm or new},
        page="/editor/profile",
    )


def test_wrong_current_password_is_refused(app, client, editor):
    response = change_password(client, "not my password", "a brand new password")
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert "Your password was not changed" in response.text
    with app.app_context():
        assert accounts.authenticate(editor, PASSWORD) is not None


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", "Use at least 8 characters."),
        ("a brand new password", "a different one", "The two passwords differ."),
    ],
)
def test_weak_or_mistyped_new_password_is_refused(app, client, editor, new, confirm, message):
    response = change_password(client, PASSWORD, new, confirm)
    assert response.status_code == 422 and message in response.text
    with app.app_context():
        assert accounts.authenticate(editor, PASSWORD) is not None


def test_password_change_keeps_this_session_and_ends_the_others(app, client, editor):
    elsewhere = app.test_client()
    assert sign_in(elsewhere, editor, PASSWORD).status_code == 302
    new = "a long passphrase " * 6  # over 100 characters
    response = change_password(client, PASSWORD, new)
    assert response.status_code == 302 and response.headers["Location"] == "/editor/profile"
    assert "Password changed." in client.get("/editor/profile").text
    assert client.get("/editor/settings").status_code == 200
    assert elsewhere.get("/editor/settings").status_code == 302

    fresh = app.test_client()
    assert sign_in(fresh, editor, PASSWORD).status_code == 401
    assert sign_in(fresh, editor, new).status_code == 302
    assert fresh.get("/editor/profile").status_code == 200


ROUTES = ["/editor/settings", "/editor/profile"]
POSTS = {
    "/editor/settings": {**SETTINGS, "title": "Hacked"},
    "/editor/profile": {"display_name": "Hacked", "bio": "Hacked"},
    "/editor/profile/password": {
        "current_password": PASSWORD,
        "new_password": "hacked password",
        "confirm": "hacked password",
    },
}


def account(app):
    with app.app_context():
        user = db.session.scalar(select(User))
        return user.display_name, user.bio, user.password_hash, user.session_token


def test_anonymous_requests_are_sent_to_sign_in_and_change_nothing(app, client):
    with app.app_context():
        accounts.set_password(accounts.ensure_editor_account(), PASSWORD)
        db.session.commit()
    before = account(app)
    for url in ROUTES:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/auth/sign-in?next={url}"
    token = csrf_token(client.get("/auth/sign-in").text)
    for url, data in POSTS.items():
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 401, url
    assert account(app) == before
    assert stored_settings(app) == {}


def test_post_without_csrf_token_changes_nothing(app, client, editor):
    before = account(app)
    for url, data in POSTS.items():
        assert client.post(url, data=data).status_code == 400, url
    assert account(app) == before
    assert stored_settings(app) == {}
    assert client.get("/editor/settings").status_code == 200  # still signed in
