"""Menus: the editor orders the header and footer menus with plain buttons; no 404 links."""

import re

from sqlalchemy import select

from blog.extensions import db
from blog.models import Category, MenuItem, Page
from tests.helpers import csrf_token


def header(client, url="/") -> list[tuple[str, str]]:
    html = client.get(url).text
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0)) if nav else []


def footer(client, url="/") -> list[tuple[str, str]]:
    html = client.get(url).text
    nav = re.search(r'<nav class="footer-nav".*?</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0)) if nav else []


def labels(links) -> list[str]:
    return [label for _, label in links]


def token(client) -> str:
    return csrf_token(client, "/editor/menus/")


def add(client, menu: str, target: str):
    return client.post(
        f"/editor/menus/{menu}/add", data={"csrf_token": token(client), "target": target}
    )


def change(client, menu: str, action: str, **which):
    data = {"csrf_token": token(client), "change": action, **which}
    return client.post(f"/editor/menus/{menu}/item", data=data)


def add_link(client, menu: str, label: str, url: str):
    page = client.get("/editor/menus/").text
    field = f'id="{menu}-csrf_token" name="{menu}-csrf_token" type="hidden" value="'
    form_token = page.split(field)[1].split('"')[0]
    return client.post(
        f"/editor/menus/{menu}/link",
        data={f"{menu}-csrf_token": form_token, f"{menu}-label": label, f"{menu}-url": url},
    )


def make_page(app, title: str, slug: str, status: str = "published") -> int:
    with app.app_context():
        page = Page(title=title, slug=slug, status=status, body_source="", body_html="")
        db.session.add(page)
        db.session.commit()
        return page.id


def category_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.slug == slug))


def test_a_fresh_site_shows_its_categories_with_a_public_post_only(client, content):
    content.post(category="World News")
    content.post(category="Science")
    content.post(category="Drafts only", status="draft")
    assert labels(header(client)) == ["Science", "World News"]


def test_the_editor_adds_a_page_and_moves_it_to_the_front(app, signed_in, content):
    content.post(category="World News")
    content.post(category="Science")
    about = make_page(app, "About", "about")
    response = add(signed_in, "header", f"page:{about}")
    assert response.status_code == 302
    assert labels(header(signed_in)) == ["Science", "World News", "About"]
    with app.app_context():
        about_item = db.session.scalar(select(MenuItem.id).where(MenuItem.page_id == about))
    change(signed_in, "header", "up", item=about_item)
    change(signed_in, "header", "up", item=about_item)
    assert header(signed_in) == [
        ("/about/", "About"),
        ("/category/science", "Science"),
        ("/category/world-news", "World News"),
    ]
    change(signed_in, "header", "remove", item=about_item)
    assert labels(header(signed_in)) == ["Science", "World News"]


def test_an_automatic_menu_can_be_reordered_without_adding_anything(app, signed_in, content):
    content.post(category="World News")
    content.post(category="Science")
    # The seed site's own section first: "World News" is second alphabetically.
    change(signed_in, "header", "up", index=1)
    assert labels(header(signed_in)) == ["World News", "Science"]


def test_an_item_dragged_to_its_place(app, signed_in, content):
    for name in ("Arts", "Business", "Science", "World News"):
        content.post(category=name)
    # The form a drop sends (static/js/menus.js): the item and its new place.
    change(signed_in, "header", "move", index=3, to=0)
    assert labels(header(signed_in)) == ["World News", "Arts", "Business", "Science"]
    with app.app_context():
        arts = db.session.scalar(select(MenuItem.id).where(MenuItem.position == 2))
    change(signed_in, "header", "move", item=arts, to=3)
    assert labels(header(signed_in)) == ["World News", "Business", "Science", "Arts"]
    # A place outside the menu, or none, changes nothing.
    for bad in ({"to": 9}, {"to": "x"}, {}):
        change(signed_in, "header", "move", item=arts, **bad)
    assert labels(header(signed_in)) == ["World News", "Business", "Science", "Arts"]


def test_the_current_page_is_marked(app, signed_in, content):
    slug = content.post(category="Science")
    html = signed_in.get("/category/science").text
    assert '<a href="/category/science" aria-current="page">Science</a>' in html
    assert 'href="/category/science" aria-current="page"' in signed_in.get(f"/posts/{slug}").text


def test_custom_links_https_or_on_this_site(app, signed_in, content):
    content.post(category="Science")
    assert add_link(signed_in, "header", "Shop", "https://shop.example/").status_code == 302
    assert add_link(signed_in, "header", "Jobs", "/jobs/").status_code == 302
    assert header(signed_in)[-2:] == [("https://shop.example/", "Shop"), ("/jobs/", "Jobs")]
    for bad in ["http://plain.example/", "//evil.example/", "javascript:alert(1)", "/\\evil"]:
        refused = add_link(signed_in, "header", "Bad link", bad)
        assert refused.status_code == 422, bad
        assert re.search(r'id="header-url-error">[^<]*https://', refused.text), bad
        assert 'value="Bad link"' in refused.text
    assert "Bad link" not in signed_in.get("/").text


def test_items_pointing_at_something_gone_or_hidden_disappear(app, signed_in, content):
    content.post(category="World News")
    about = make_page(app, "About", "about")
    draft = make_page(app, "Secret", "secret", status="draft")
    add(signed_in, "header", f"page:{about}")
    add(signed_in, "header", f"page:{draft}")
    assert labels(header(signed_in)) == ["World News", "About"]
    # The only post of World News goes to the trash: its category has no public post.
    with app.app_context():
        from blog.models import Post

        db.session.execute(db.update(Post).values(status="trash"))
        db.session.execute(db.delete(Page).where(Page.id == about))
        db.session.commit()
    assert header(signed_in) == []
    with app.app_context():
        assert db.session.scalar(select(MenuItem.id).where(MenuItem.page_id == about)) is None


def test_deleting_a_category_deletes_its_item(app, signed_in, content):
    content.post(category="Science")
    add(signed_in, "header", f"category:{category_id(app, 'science')}")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(MenuItem)) == 2
        db.session.execute(db.delete(MenuItem).where(MenuItem.position == 1))
        db.session.commit()
        from blog.models import Post

        db.session.execute(db.delete(Post))
        db.session.execute(db.delete(Category))
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(MenuItem)) == 0


def test_the_footer_menu_defaults_to_pages_archives_and_feeds(app, client, content):
    content.post()
    make_page(app, "Contact", "contact")
    assert footer(client) == [
        ("/contact/", "Contact"),
        ("/archive/", "Archives"),
        ("/feed.atom", "Atom feed"),
        ("/feed.rss", "RSS feed"),
    ]


def test_the_footer_carries_the_tagline_feeds_and_the_editors_line(app, signed_in, content):
    content.post()
    page = csrf_token(signed_in, "/editor/settings")
    response = signed_in.post(
        "/editor/settings",
        data={
            "csrf_token": page,
            "title": "Harbour Times",
            "tagline": "News from the quay",
            "timezone": "UTC",
            "posts_per_page": "10",
            "footer_line": "© 2026 Harbour Times, 1 Quay Street",
        },
    )
    assert response.status_code == 302
    foot = signed_in.get("/").text.split('<footer class="site-footer">')[1]
    assert "News from the quay" in foot
    assert 'href="/feed.atom"' in foot and 'href="/feed.rss"' in foot
    assert "© 2026 Harbour Times, 1 Quay Street" in foot


def test_a_footer_item_added_and_reset(app, signed_in, content):
    content.post(category="Science")
    add(signed_in, "footer", f"category:{category_id(app, 'science')}")
    assert labels(footer(signed_in))[-1] == "Science"
    signed_in.post("/editor/menus/footer/reset", data={"csrf_token": token(signed_in)})
    assert "Science" not in labels(footer(signed_in))


def test_menu_changes_need_a_csrf_token_and_sign_in(app, client, auth, content):
    content.post(category="Science")
    response = client.post("/editor/menus/header/item", data={"change": "up", "index": "0"})
    assert response.status_code in (400, 401)
    auth.sign_in()
    response = client.post("/editor/menus/header/item", data={"change": "down", "index": "0"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(MenuItem)) == 0


def test_a_menu_change_reaches_anonymous_readers_through_the_page_cache(app, client, auth, content):
    content.post(category="Science")
    about = make_page(app, "About", "about")
    assert labels(header(client)) == ["Science"]
    auth.sign_in()
    add(client, "header", f"page:{about}")
    auth.sign_out()
    assert labels(header(client)) == ["Science", "About"]


def test_menus_keep_the_home_page_query_count(app, client, auth, content, count_queries):
    app.config["PAGE_CACHE"] = False
    for n in range(12):
        content.post(category=["World News", "Science", "Culture"][n % 3])
    about = make_page(app, "About", "about")
    auth.sign_in()
    add(client, "header", f"page:{about}")
    add(client, "footer", "archives")
    auth.sign_out()
    client.get("/")
    response, statements = count_queries(lambda: client.get("/"))
    assert response.status_code == 200
    assert len(statements) <= 1, statements


def test_the_feeds_are_in_the_footer_once_whatever_its_menu(app, client, content):
    content.post()
    foot = client.get("/").text.split('<footer class="site-footer">')[1]
    assert foot.count('href="/feed.atom"') == 1 and "footer-feeds" not in foot
    with app.app_context():
        db.session.add(MenuItem(menu="footer", position=1, kind="archives"))
        db.session.commit()
    foot = client.get("/").text.split('<footer class="site-footer">')[1]
    assert foot.count('href="/feed.atom"') == 1 and "footer-feeds" in foot
