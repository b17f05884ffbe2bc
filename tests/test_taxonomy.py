"""Categories and tags in the editor, through the routes, as a browser submits them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blog import accounts
from blog.extensions import db
from blog.models import Category, Post, Tag, post_tags, utcnow

PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def submit(client, url: str, data: dict, page: str | None = None):
    """Open the form's page as a browser would, then post the form with its token."""
    token = csrf_token(client.get(page or url).text)
    return client.post(url, data={**data, "csrf_token": token})


@pytest.fixture
def editor(app, client):
    """Sign the test client in as the site's editor."""
    with app.app_context():
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        db.session.commit()
        username = user.username
    response = submit(client, "/auth/sign-in", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return username


def category_by_slug(app, slug):
    with app.app_context():
        return db.session.scalar(select(Category).where(Category.slug == slug))


def category_id(app, slug) -> int:
    return category_by_slug(app, slug).id


def tag_by_slug(app, slug):
    with app.app_context():
        return db.session.scalar(select(Tag).where(Tag.slug == slug))


def nav(html: str) -> str:
    return html.split('aria-label="Categories"')[1].split("</nav>")[0]


def test_create_category_slug_from_name_and_listed_with_counts(app, client, editor, content):
    content.post("Old story", category="World News")
    response = submit(
        client,
        "/editor/categories/",
        {"name": "Arts & Culture", "slug": "", "description": "Plays, films and books."},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/editor/categories/"
    listing = client.get("/editor/categories/").text
    assert "Category “Arts &amp; Culture” added, at /category/arts-culture." in listing
    assert '<a href="/editor/categories/' in listing and "Arts &amp; Culture</a>" in listing
    row = listing.split("World News</a>")[1].split("</tr>")[0]
    assert "<td>1</td>" in row
    # No public post in it yet: no page, and not in the menu (tests/test_public_holes.py).
    assert client.get("/category/arts-culture").status_code == 404
    assert "Arts &amp; Culture" not in nav(client.get("/").text)


def test_create_category_with_explicit_slug(app, client, editor):
    response = submit(client, "/editor/categories/", {"name": "Science", "slug": "Sci Tech"})
    assert response.status_code == 302
    assert category_by_slug(app, "sci-tech").name == "Science"
    assert client.get("/category/sci-tech").status_code == 404  # until a post is out


def test_rename_category_slug_follows_name(app, client, editor, content):
    content.post("A story", category="World News")
    cid = category_id(app, "world-news")
    url = f"/editor/categories/{cid}"
    page = client.get(url).text
    assert 'value="world-news"' in page  # the form shows the slug as it is
    response = submit(client, url, {"name": "Global News", "slug": "world-news", "description": ""})
    assert response.status_code == 302 and response.headers["Location"] == url
    assert category_by_slug(app, "global-news").id == cid
    moved = client.get("/category/world-news")
    assert moved.status_code == 301 and moved.location == "/category/global-news"
    archive = client.get("/category/global-news").text
    assert "<h1>Global News</h1>" in archive and "A story" in archive


def test_explicit_slug_wins_and_description_alone_keeps_slug(app, client, editor, content):
    content.post(category="World News")
    cid = category_id(app, "world-news")
    url = f"/editor/categories/{cid}"
    submit(client, url, {"name": "Global News", "slug": "news", "description": ""})
    assert category_by_slug(app, "news").name == "Global News"
    submit(client, url, {"name": "Global News", "slug": "news", "description": "All of it."})
    found = category_by_slug(app, "news")
    assert found.id == cid and found.description == "All of it."
    assert "All of it." in client.get("/category/news").text


def test_slug_typed_that_another_category_has_is_refused(app, client, editor, content):
    content.post(category="Science")
    response = submit(client, "/editor/categories/", {"name": "Research", "slug": "science"})
    assert response.status_code == 422 and 'id="slug-error"' in response.text
    assert category_by_slug(app, "science").name == "Science"
    assert category_by_slug(app, "science-2") is None


def test_rejected_category_comes_back_as_typed(app, client, editor, content):
    content.post(category="World News")
    response = submit(
        client,
        "/editor/categories/",
        {"name": "world news", "slug": "my-slug", "description": "Typed text"},
    )
    assert response.status_code == 422
    assert "There is already a category called “World News”." in response.text
    assert 'id="name-error"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="world news"' in response.text and 'value="my-slug"' in response.text
    assert "Typed text</textarea>" in response.text
    empty = submit(client, "/editor/categories/", {"name": "  ", "slug": "x", "description": "d"})
    assert empty.status_code == 422 and "Give a name." in empty.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Category)) == 1


def test_delete_category_moves_every_post_to_the_chosen_one(app, client, editor, content):
    content.post("Live one", category="Old Desk", tags=["Climate"])
    content.post("A draft", category="Old Desk", status="draft")
    content.post("Binned", category="Old Desk", status="trash")
    content.post("Later", category="Old Desk", published_at=utcnow() + timedelta(days=2))
    content.post("Resident", category="New Desk")
    old, new = category_id(app, "old-desk"), category_id(app, "new-desk")
    with app.app_context():
        before = {p.id: p.updated_at for p in db.session.scalars(select(Post))}
    url = f"/editor/categories/{old}/delete"
    page = client.get(url).text
    assert "It has 4 posts" in page
    assert '<label for="move_to">Move its posts to</label>' in page
    assert f'<option value="{new}">New Desk</option>' in page
    assert f'value="{old}"' not in page
    response = submit(client, url, {"move_to": str(new)})
    assert response.status_code == 302 and response.headers["Location"] == "/editor/categories/"
    assert "4 posts moved to “New Desk”." in client.get("/editor/categories/").text
    with app.app_context():
        posts = db.session.scalars(select(Post)).all()
        assert {p.id: p.updated_at for p in posts} == before  # nothing lost, nothing "edited"
        assert {p.category_id for p in posts} == {new}
        assert db.session.get(Category, old) is None
        assert db.session.scalar(select(func.count()).select_from(post_tags)) == 1
    assert client.get("/category/old-desk").status_code == 404
    archive = client.get("/category/new-desk").text
    assert "Live one" in archive and "Resident" in archive and "A draft" not in archive
    assert "Old Desk" not in nav(archive)


def test_delete_category_with_posts_asks_where_they_go(app, client, editor, content):
    content.post("Stays put", category="Old Desk")
    content.post(category="New Desk")
    old = category_id(app, "old-desk")
    url = f"/editor/categories/{old}/delete"
    for data in ({}, {"move_to": "0"}, {"move_to": str(old)}, {"move_to": "abc"}):
        response = submit(client, url, data)
        assert response.status_code == 422
        assert "Choose the category its posts move to." in response.text
    assert category_by_slug(app, "old-desk") is not None
    assert "Stays put" in client.get("/category/old-desk").text


def test_delete_empty_category_needs_no_destination(app, client, editor, content):
    content.post(category="Kept")
    submit(client, "/editor/categories/", {"name": "Empty"})
    url = f"/editor/categories/{category_id(app, 'empty')}/delete"
    page = client.get(url).text
    assert "It has no posts." in page and "move_to" not in page
    assert submit(client, url, {}).status_code == 302
    assert category_by_slug(app, "empty") is None


def test_last_category_cannot_be_deleted(app, client, editor, content):
    content.post("Only one", category="Everything")
    url = f"/editor/categories/{category_id(app, 'everything')}/delete"
    page = client.get(url)
    assert page.status_code == 200 and "This is the only category" in page.text
    assert "Delete category</button>" not in page.text
    response = submit(client, url, {}, page=f"/editor/categories/{category_id(app, 'everything')}")
    assert response.status_code == 409
    assert category_by_slug(app, "everything") is not None
    assert "Only one" in client.get("/category/everything").text


def test_category_list_queries_do_not_grow_with_categories(
    app, client, editor, content, count_queries
):
    def queries():
        return len(count_queries(lambda: client.get("/editor/categories/"))[1])

    content.post(category="One")
    few = queries()
    for n in range(8):
        content.post(category=f"Desk {n}", tags=[f"t{n}"])
    assert queries() == few


def test_tag_create_rename_and_delete(app, client, editor, content):
    slug = content.post("Tagged story", tags=["Space", "Oceans"])
    response = submit(client, "/editor/tags/", {"name": "Rivers", "slug": ""})
    assert response.status_code == 302 and response.headers["Location"] == "/editor/tags/"
    listing = client.get("/editor/tags/").text
    assert "Tag “Rivers” added, at /tag/rivers." in listing
    assert re.search(r"Space</a></td>\s*<td>space</td>\s*<td>1</td>\s*<td>1</td>", listing)

    space = tag_by_slug(app, "space").id
    url = f"/editor/tags/{space}"
    assert submit(client, url, {"name": "Outer Space", "slug": "space"}).status_code == 302
    assert tag_by_slug(app, "outer-space").id == space
    moved = client.get("/tag/space")
    assert moved.status_code == 301 and moved.location == "/tag/outer-space"
    assert "Tagged story" in client.get("/tag/outer-space").text
    assert 'href="/tag/outer-space" rel="tag">Outer Space</a>' in client.get(f"/posts/{slug}").text
    submit(client, url, {"name": "Outer Space", "slug": "cosmos"})
    assert tag_by_slug(app, "cosmos").id == space

    delete_url = f"/editor/tags/{space}/delete"
    assert "1 post has it." in client.get(delete_url).text
    assert submit(client, delete_url, {}).status_code == 302
    assert "Tag “Outer Space” deleted." in client.get("/editor/tags/").text
    assert tag_by_slug(app, "cosmos") is None
    post_page = client.get(f"/posts/{slug}")
    assert post_page.status_code == 200
    assert "Outer Space" not in post_page.text and "Oceans" in post_page.text


def test_rejected_tag_comes_back_as_typed(app, client, editor, content):
    content.post(tags=["Space"])
    response = submit(client, "/editor/tags/", {"name": "SPACE", "slug": "typed-slug"})
    assert response.status_code == 422
    assert "There is already a tag called “Space”." in response.text
    assert 'value="SPACE"' in response.text and 'value="typed-slug"' in response.text
    space = tag_by_slug(app, "space").id
    empty = submit(client, f"/editor/tags/{space}", {"name": "", "slug": "space"})
    assert empty.status_code == 422 and "Give a name." in empty.text
    assert tag_by_slug(app, "space").name == "Space"


def test_unknown_category_or_tag_is_404(client, editor):
    for url in ["/editor/categories/999", "/editor/categories/999/delete", "/editor/tags/999"]:
        assert client.get(url).status_code == 404
    assert client.get("/editor/tags/999/delete").status_code == 404


def all_routes(app) -> list[tuple[str, str]]:
    cid = category_id(app, "world-news")
    tid = tag_by_slug(app, "space").id
    urls = [
        "/editor/categories/",
        f"/editor/categories/{cid}",
        f"/editor/categories/{cid}/delete",
        "/editor/tags/",
        f"/editor/tags/{tid}",
        f"/editor/tags/{tid}/delete",
    ]
    return urls


CHANGES = {"name": "Changed", "slug": "changed", "description": "x", "move_to": "0"}


def snapshot(app):
    with app.app_context():
        return (
            [(c.id, c.name, c.slug, c.description) for c in db.session.scalars(select(Category))],
            [(t.id, t.name, t.slug) for t in db.session.scalars(select(Tag))],
            db.session.execute(select(Post.id, Post.category_id)).all(),
            db.session.execute(select(post_tags)).all(),
        )


def test_anonymous_requests_are_sent_to_sign_in_and_change_nothing(app, client, content):
    content.post(category="World News", tags=["Space"])
    content.post(category="Sport")
    before = snapshot(app)
    token = csrf_token(client.get("/auth/sign-in").text)
    for url in all_routes(app):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/sign-in?next=")
        assert client.post(url, data={**CHANGES, "csrf_token": token}).status_code == 401, url
    assert snapshot(app) == before


def test_post_without_csrf_token_changes_nothing(app, client, editor, content):
    content.post(category="World News", tags=["Space"])
    content.post(category="Sport")
    before = snapshot(app)
    for url in all_routes(app):
        assert client.post(url, data=CHANGES).status_code == 400, url
    assert snapshot(app) == before
