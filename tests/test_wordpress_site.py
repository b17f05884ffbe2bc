"""A WordPress site moves whole: its pages, menus and category tree (issues 15 and 18).

tests/data/wordpress-site.xml is a small export in the shape WordPress 6 writes: pages with
parents (one two levels down, one whose slug is a route of this site, a private and a
password-protected one), a category tree News › World › Europe, and three menus whose items
point at pages, categories, a post, a tag and custom links. WordPress's own test exports
(tests/data/theme-preview.xml, block-test-data.xml) have no page parents, menus or category
parents.
"""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from blog import menus
from blog.extensions import db
from blog.models import Category, MenuItem, Page
from tests.helpers import csrf_token
from tests.test_wxr import fresh_site

SITE = Path(__file__).parent / "data" / "wordpress-site.xml"
THEME_PREVIEW = Path(__file__).parent / "data" / "theme-preview.xml"


def run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=[*args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def imported(app) -> str:
    return run(app, "import-wxr", str(SITE))


def nav_labels(html: str, css_class: str) -> list[str]:
    """Return the link texts of the <nav class=...> in a page, in order."""
    nav = re.search(rf'<nav class="{css_class}"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, css_class
    return re.findall(r"<a [^>]*>([^<]*)</a>", nav.group(1))


def pages(app) -> dict[str, tuple]:
    """Return every page by slug: (title, parent's slug, status, WordPress id)."""
    with app.app_context():
        rows = db.session.scalars(select(Page)).all()
        slugs = {page.id: page.slug for page in rows}
        return {p.slug: (p.title, slugs.get(p.parent_id), p.status, p.wp_id) for p in rows}


def menu_rows(app) -> list[tuple]:
    """Return the stored menu items as (menu, position, kind, label, url, target's slug)."""
    with app.app_context():
        pages = dict(db.session.execute(select(Page.id, Page.slug)).all())
        categories = dict(db.session.execute(select(Category.id, Category.slug)).all())
        items = db.session.scalars(select(MenuItem).order_by(MenuItem.menu, MenuItem.position))
        return [
            (
                i.menu,
                i.position,
                i.kind,
                i.label,
                i.url,
                pages.get(i.page_id) or categories.get(i.category_id),
            )
            for i in items
        ]


def category_parents(app) -> dict[str, str | None]:
    with app.app_context():
        rows = db.session.scalars(select(Category)).all()
        slugs = {c.id: c.slug for c in rows}
        return {c.slug: slugs.get(c.parent_id) for c in rows}


def test_pages_come_in_as_pages_at_their_old_addresses(app, imported):
    assert "Imported 4 posts, 8 pages and 0 images." in imported
    client = app.test_client()
    about = client.get("/about/")
    assert about.status_code == 200
    assert "<h1>About</h1>" in about.text and "covered the bay since 1921" in about.text
    # A page, not a post: no byline, no date.
    assert "post-byline" not in about.text and "<time" not in about.text
    child = client.get("/about/page-with-comments/")
    assert child.status_code == 200 and "Readers wrote in." in child.text
    assert pages(app)["page-with-comments"][1] == "about"


def test_a_page_two_levels_down_goes_under_its_top_page_and_its_old_address_follows(app, imported):
    assert pages(app)["team-history"][1] == "about"
    assert "1 page was more than one level deep: it is now under its top-level page" in imported
    client = app.test_client()
    assert client.get("/about/team-history/").status_code == 200
    old = client.get("/about/page-with-comments/team-history/")
    assert (old.status_code, old.headers["Location"]) == (301, "/about/team-history/")


def test_page_id_links_redirect_to_the_page(app, imported):
    client = app.test_client()
    for query, address in (("?page_id=2", "/about/"), ("?page_id=3", "/about/page-with-comments/")):
        response = client.get("/" + query)
        assert (response.status_code, response.headers["Location"]) == (301, address)
    # A page readers could not see in WordPress is no redirect: the home page, as for posts.
    assert client.get("/?page_id=7").status_code == 200
    assert "Location" not in client.get("/?page_id=7").headers


def test_private_and_protected_pages_are_drafts_and_named(app, imported):
    found = pages(app)
    assert found["private-page"][2] == found["members"][2] == found["draft-page"][2] == "draft"
    assert "Private page (private-page) was private in WordPress" in imported
    assert "Members (members) was password-protected in WordPress" in imported
    client = app.test_client()
    for path in ("/private-page/", "/members/", "/draft-page/"):
        assert client.get(path).status_code == 404, path


def test_a_slug_the_site_uses_gets_a_suffix_and_is_reported(app, imported):
    assert pages(app)["search-2"][0] == "Search tips"
    assert "The page search could not keep its address" in imported
    assert "it is at /search-2/." in imported
    client = app.test_client()
    assert "How to find an old story." in client.get("/search-2/").text
    # The site's own search page keeps its address.
    assert "How to find an old story." not in client.get("/search").text


def test_the_first_menu_is_the_header_menu_in_its_order(app, imported):
    html = app.test_client().get("/").text
    # Sport has no post (left out until it has one), the private page is a draft, the http
    # link and the tag were not imported; the post is a link to its new address.
    assert nav_labels(html, "site-nav") == [
        "Home",
        "About",
        "Comments page",
        "World",
        "Lisbon",
        "Shop",
    ]
    assert 'href="/posts/summit-in-lisbon">Lisbon' in html
    assert re.search(r'<a href="/"[^>]*>Home</a>', html)  # the old site's home, a path here
    assert nav_labels(html, "footer-nav")[0] == "Contact"
    assert "The menu “Main menu” is the header menu: 8 of 10 items (1 from its submenus" in (
        imported
    )
    assert "“Old forum” (the link http://forum.example.org/" in imported
    assert "“Boats” (post_tag 40: not imported here)" in imported
    assert "“More” (the link #" in imported
    assert "The menu “Social” (1 item) was left out" in imported


def test_a_second_import_adds_nothing(app, imported):
    before = pages(app), menu_rows(app), category_parents(app)
    again = run(app, "import-wxr", str(SITE))
    assert "Imported 0 posts, 0 pages and 0 images." in again
    assert "the site's header menu was arranged already" in again
    assert (pages(app), menu_rows(app), category_parents(app)) == before


def test_the_category_tree_is_kept_and_shown(app, imported):
    assert category_parents(app) == {
        "news": None,
        "world": "news",
        "europe": "world",
        "sport": None,
        "culture": None,
    }
    client = app.test_client()
    europe = client.get("/category/europe").text
    crumbs = re.search(r'<nav class="kicker breadcrumb".*?</nav>', europe, re.S).group(0)
    assert re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", crumbs) == ["News", "World", "Europe"]
    assert 'href="/category/news">News' in crumbs and 'aria-current="page">Europe' in crumbs
    news = client.get("/category/news").text
    assert nav_labels(news, "subcategories") == ["World"]
    assert "breadcrumb" not in news  # a top-level category has none


def test_empty_categories_stay_out_of_the_automatic_menu(app, imported):
    with app.app_context():
        menus.reset("header")
        db.session.commit()
    html = app.test_client().get("/").text
    assert nav_labels(html, "site-nav") == ["Culture", "Europe", "News", "World"]


def test_the_editor_files_a_category_and_refuses_a_loop(app, signed_in, imported):
    with app.app_context():
        ids = dict(db.session.execute(select(Category.slug, Category.id)).all())
    url = f"/editor/categories/{ids['news']}"
    # The choices leave out the category itself and its subcategories, and show each path.
    offered = re.findall(r"<option [^>]*>([^<]*)</option>", signed_in.get(url).text)
    assert offered == ["None: a top-level category", "Culture", "Sport"]
    sport = signed_in.get(f"/editor/categories/{ids['sport']}").text
    assert f'<option value="{ids["europe"]}">News › World › Europe</option>' in sport
    # News under Europe, its own grandchild: refused beside the field, nothing saved.
    data = {"csrf_token": csrf_token(signed_in, url), "name": "News", "slug": "news"}
    refused = signed_in.post(url, data=data | {"parent_id": str(ids["europe"])})
    assert refused.status_code == 422
    assert "cannot be filed under itself or one of its own subcategories" in refused.text
    assert category_parents(app)["news"] is None
    # Sport under News is fine.
    url = f"/editor/categories/{ids['sport']}"
    data = {"csrf_token": csrf_token(signed_in, url), "name": "Sport", "slug": "sport"}
    assert signed_in.post(url, data=data | {"parent_id": str(ids["news"])}).status_code == 302
    assert category_parents(app)["sport"] == "news"
    # And back to the top.
    assert signed_in.post(url, data=data | {"parent_id": "0"}).status_code == 302
    assert category_parents(app)["sport"] is None


def test_export_wxr_then_import_keeps_pages_menus_and_category_parents(
    app, imported, tmp_path, migrated_database
):
    path = tmp_path / "again.xml"
    out = run(app, "export-wxr", str(path), "--base-url", "https://news.example")
    assert "Exported 4 posts, 8 pages, 0 images, 5 categories, 1 tag and 9 menu items" in out
    text = path.read_text(encoding="utf-8")
    assert text.count("<wp:post_type><![CDATA[page]]></wp:post_type>") == 8
    assert "<wp:category_parent><![CDATA[world]]></wp:category_parent>" in text
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        again = run(fresh, "import-wxr", str(path))
        assert "Imported 4 posts, 8 pages and 0 images." in again
        assert pages(fresh) == pages(app)
        assert menu_rows(fresh) == menu_rows(app)
        assert category_parents(fresh) == category_parents(app)
        assert fresh.test_client().get("/?page_id=3").headers["Location"] == (
            "/about/page-with-comments/"
        )
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_the_archives_and_feeds_entries_come_back_as_they_were(
    app, imported, tmp_path, migrated_database
):
    with app.app_context():
        menus.add_item("footer", "archives")
        menus.add_item("footer", "feeds")
        menus.add_item("footer", "link", label="Imprint", url="/about/")
        db.session.commit()
    path = tmp_path / "again.xml"
    run(app, "export-wxr", str(path), "--base-url", "https://news.example")
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        run(fresh, "import-wxr", str(path))
        assert menu_rows(fresh) == menu_rows(app)
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_the_json_export_keeps_category_parents(app, imported, tmp_path, migrated_database):
    archive = tmp_path / "site.zip"
    run(app, "export", str(archive))
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        run(fresh, "import", str(archive))
        assert category_parents(fresh) == category_parents(app)
        assert pages(fresh) == pages(app)
        assert menu_rows(fresh) == menu_rows(app)
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_an_archive_made_before_category_parents_still_imports(app, tmp_path, migrated_database):
    import json
    import zipfile

    run(app, "import-wxr", str(SITE))
    archive, older = tmp_path / "site.zip", tmp_path / "older.zip"
    run(app, "export", str(archive))
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(older, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "content.json":
                content = json.loads(data)
                for row in content["categories"]:
                    del row["parent_id"]
                data = json.dumps(content).encode()
            target.writestr(entry, data)
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        run(fresh, "import", str(older))
        assert set(category_parents(fresh).values()) == {None}
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_theme_preview_has_no_pages_or_menus_and_imports_as_before(app):
    out = run(app, "import-wxr", str(THEME_PREVIEW))
    assert "Imported 7 posts, 0 pages and 0 images." in out
    assert "menu" not in out.lower()
    with app.app_context():
        assert db.session.scalar(select(MenuItem.id).limit(1)) is None


def test_comments_on_a_page_are_counted_with_the_posts_comments(app, tmp_path):
    comment = """<wp:comment>
			<wp:comment_id>90</wp:comment_id>
			<wp:comment_author><![CDATA[A reader]]></wp:comment_author>
			<wp:comment_date><![CDATA[2024-01-02 10:00:00]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[2024-01-02 10:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[Thanks for the history.]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
			<wp:comment_type><![CDATA[comment]]></wp:comment_type>
			<wp:comment_parent>0</wp:comment_parent>
		</wp:comment>
	</item>"""
    text = SITE.read_text(encoding="utf-8")
    at = text.index("<title><![CDATA[Page with comments]]></title>")
    end = text.index("\t</item>", at)
    path = tmp_path / "commented.xml"
    path.write_text(text[:end] + "\t\t" + comment + text[end + len("\t</item>") :])
    out = run(app, "import-wxr", str(path))
    assert "Imported 1 comment: shown under their posts and pages, read-only." in out
    assert "comments on pages" not in out
