"""WordPress: importing a WXR export, the old permalinks, and exporting WXR 1.2 back."""

import io
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from blog import accounts
from blog.extensions import db
from blog.media import save_upload
from blog.models import Category, Media, Post, Setting, Tag, User, utcnow
from blog.wordpress.wxr import CONTENT, DC
from tests.conftest import make_app
from tests.test_transfer import media_files

FIXTURE = Path(__file__).parent / "data" / "wordpress-export.xml"
WP = "{http://wordpress.org/export/1.2/}"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}"


@pytest.fixture
def uploads(tmp_path):
    """WordPress's wp-content/uploads with the one attachment file the fixture's items share."""
    folder = tmp_path / "uploads"
    (folder / "2024" / "05").mkdir(parents=True)
    Image.new("RGB", (64, 48), (10, 80, 160)).save(folder / "2024/05/harbour.jpg", "JPEG")
    return folder


@pytest.fixture
def berlin(app):
    """The site's time zone, for the dates WordPress left without their UTC twin."""
    with app.app_context():
        db.session.add(Setting(key="timezone", value="Europe/Berlin"))
        db.session.commit()


def import_wxr(app, path=FIXTURE, *options):
    return app.test_cli_runner().invoke(args=["import-wxr", str(path), *options])


def posts_by_wp_id(app) -> dict[int, Post]:
    with app.app_context():
        stmt = select(Post).execution_options(populate_existing=True)
        posts = db.session.scalars(stmt).all()
        for post in posts:
            db.session.refresh(post, ["category", "tags", "image", "author"])
        db.session.expunge_all()
        return {post.wp_id: post for post in posts}


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Post, Category, Tag, Media, User, Setting)
        }


@pytest.fixture
def imported(app, berlin, uploads):
    # Its About page comes in as a post here (tests/test_wordpress_site.py: as a page).
    result = import_wxr(app, FIXTURE, "--media-dir", str(uploads), "--pages=posts")
    assert result.exit_code == 0, result.output
    return result


def test_import_reports_what_it_did(imported):
    out = imported.output
    assert "Imported 9 posts, 1 page and 1 image." in out
    assert "Authors admin, jürgen: their posts are the editor's (editor)." in out
    assert "The menu “Main menu” is the header menu: 1 of 1 item." in out
    assert "1 attachment without a file in the media folder: map.png" in out
    assert "The slug about was taken: the post is at about-2." in out
    # Its [gallery] shows the imported images: no shortcode is left as text.
    assert "shortcodes" not in out.lower()


def test_statuses_dates_and_slugs_follow_the_mapping(app, imported):
    posts = posts_by_wp_id(app)
    expected = {
        101: ("harbour-lights-return", "published", datetime(2024, 5, 14, 7, 30)),
        102: ("old-style-post", "published", datetime(2019, 11, 2, 10, 15)),
        103: ("unfinished-thoughts", "draft", None),
        104: ("coming-soon", "published", datetime(2099, 1, 1, 9, 0)),
        105: ("private-notes", "draft", datetime(2024, 6, 3, 10, 0)),
        106: ("deleted-idea", "trash", datetime(2024, 6, 4, 10, 0)),
        107: ("waiting-for-review", "draft", None),
        108: ("about", "published", datetime(2024, 1, 1, 9, 0)),
        109: ("about-2", "published", datetime(2023, 12, 1, 9, 0)),
        # No post_date_gmt: post_date is read in the site's time zone (CET, UTC+1).
        110: ("日本語", "published", datetime(2021, 3, 10, 8, 30)),
    }
    assert {k: (p.slug, p.status, p.published_at) for k, p in posts.items()} == expected
    assert posts[104].is_scheduled()
    # A draft without a UTC date was written at post_date in the site's time zone (CEST).
    assert posts[103].created_at == datetime(2024, 6, 1, 10, 0)
    assert posts[101].updated_at == datetime(2024, 5, 15, 8, 0)
    assert {p.author.username for p in posts.values()} == {"editor"}
    assert {p.body_format for p in posts.values()} == {"html"}


def test_categories_and_tags_are_kept(app, imported):
    posts = posts_by_wp_id(app)
    with app.app_context():
        categories = {c.slug: c for c in db.session.scalars(select(Category))}
        tags = {t.slug: t.name for t in db.session.scalars(select(Tag))}
    assert set(categories) == {"uncategorized", "news", "local-news", "café-culture"}
    assert categories["café-culture"].name == "Café Culture"
    assert categories["news"].description == "What happened in the bay this week."
    assert tags == {
        "harbour": "harbour",
        "zürich": "Zürich",
        "boats-ships": "Boats & Ships",
        "local-news": "Local News",
    }
    assert posts[101].category.slug == "news"
    assert [t.name for t in posts[101].tags] == ["Boats & Ships", "Zürich", "harbour"]
    # The first category is the post's; the second one becomes a tag.
    assert posts[102].category.slug == "café-culture"
    assert [t.slug for t in posts[102].tags] == ["local-news"]
    assert posts[103].category.slug == "uncategorized"


def test_bodies_are_converted_and_sanitized(app, imported):
    posts = posts_by_wp_id(app)
    block, classic = posts[101], posts[102]
    # Block comments go; the text, Unicode and a "]]>" that WordPress split survive.
    assert "wp:paragraph" not in block.body_source
    assert "«enfin», says the mayor. 灯台の光 🚢" in block.body_html
    assert "<code>]]&gt;</code>" in block.body_html
    assert "<script" not in block.body_html and "alert" not in block.body_html
    assert "<script" not in block.body_source
    # [gallery ids="120,121"]: the image imported (121's file is missing).
    assert "[gallery" not in block.body_html
    assert block.body_html.endswith(
        f'<figure><figure><img src="/media/{block.image.filename}" alt="The harbour at dusk">'
        "</figure></figure>"
    )
    assert "港の灯りが戻ってきました。Ünïcödé ✓ and right-to-left: مرحبا" in posts[110].body_html
    # Classic content gets its paragraphs, its caption becomes a figure.
    assert classic.body_html.startswith(
        "<p>First paragraph of a classic post.<br>\nSecond line of the same paragraph.</p>"
    )
    assert "<figcaption>The old map of the bay</figcaption></figure>" in classic.body_html
    assert "<p>Last paragraph with <em>emphasis</em> &amp; an ampersand.</p>" in classic.body_html
    # A provider's URL alone on its line: the site's embed card (tests/test_wordpress_embeds.py).
    assert (
        '<figure class="embed"><figcaption><strong>YouTube</strong> '
        '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">'
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ</a></figcaption>"
    ) in classic.body_html
    assert classic.custom_excerpt and classic.excerpt == "A hand-written excerpt."
    assert not block.custom_excerpt and block.excerpt.startswith("The harbour's lights")
    assert block.seo_description == "The lights of the harbour shine again."


def test_featured_image_and_attachment_urls(app, imported, uploads):
    posts = posts_by_wp_id(app)
    image = posts[101].image
    assert image is not None and image.original_name == "harbour.jpg"
    assert posts[101].image_alt == "The harbour at dusk"
    # The block's large size of the upload now points at the imported image.
    assert f'<img src="/media/{image.filename}" alt="The harbour at dusk">' in posts[101].body_html
    assert "old.example.com/wp-content/uploads/2024" not in posts[101].body_html
    # The map's file was not given: its link is left alone.
    assert "https://old.example.com/wp-content/uploads/2019/11/map-300x200.png" in (
        posts[102].body_html
    )
    assert len(media_files(app)) == 1


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        ("/2024/05/harbour-lights-return/", "harbour-lights-return"),
        ("/2024/05/harbour-lights-return", "harbour-lights-return"),
        ("/2019/11/old_style_post/", "old-style-post"),
        ("/2021/03/%E6%97%A5%E6%9C%AC%E8%AA%9E/", "%E6%97%A5%E6%9C%AC%E8%AA%9E"),
        ("/?p=101", "harbour-lights-return"),
        ("/?p=110", "%E6%97%A5%E6%9C%AC%E8%AA%9E"),
        ("/?page_id=108", "about"),
    ],
)
def test_wordpress_urls_redirect_for_good(app, imported, path, slug):
    response = app.test_client().get(path)

    assert response.status_code == 301
    assert response.headers["Location"] == f"/posts/{slug}"


@pytest.mark.parametrize(
    "path", ["/2099/01/coming-soon/", "/2024/06/unfinished-thoughts/", "/2024/05/nothing-here/"]
)
def test_only_public_posts_are_redirected_to(app, imported, path):
    assert app.test_client().get(path).status_code == 404


@pytest.mark.parametrize("query", ["?p=103", "?p=104", "?p=999", "?p=abc"])
def test_home_page_with_an_unknown_or_private_id_is_the_home_page(app, imported, query):
    response = app.test_client().get("/" + query)

    assert response.status_code == 200
    assert "Harbour lights return" in response.text


def test_pages_come_in_as_pages_and_attachments_only_with_a_media_folder(app, berlin):
    result = import_wxr(app)

    assert result.exit_code == 0, result.output
    assert "Imported 9 posts, 1 page and 0 images." in result.output
    assert "Left out 2 attachments: --media-dir" in result.output
    # The page is at /about/, and the post that shares its slug keeps it at /posts/about.
    assert posts_by_wp_id(app)[109].slug == "about"
    assert "covered the bay since 1921" in app.test_client().get("/about/").text


def test_pages_can_be_left_out(app, berlin):
    result = import_wxr(app, FIXTURE, "--pages=skip")

    assert result.exit_code == 0, result.output
    assert "Imported 9 posts, 0 pages and 0 images." in result.output
    assert "Skipped 1 page (--pages=import brings them in as pages)." in result.output


def test_importing_the_same_file_twice_adds_nothing(app, imported, uploads):
    before = counts(app), media_files(app)

    result = import_wxr(app, FIXTURE, "--media-dir", str(uploads), "--pages=posts")

    assert result.exit_code == 0, result.output
    assert "Skipped 10 posts this site imported before." in result.output
    assert "Imported 0 posts, 0 pages and 0 images." in result.output
    assert (counts(app), media_files(app)) == before


def test_a_rerun_with_the_media_folder_attaches_featured_images(app, berlin, uploads):
    first = import_wxr(app, FIXTURE, "--pages=posts")  # without the files: no images
    assert first.exit_code == 0, first.output
    featured = {wp_id for wp_id, post in posts_by_wp_id(app).items() if post.image is None}
    again = import_wxr(app, FIXTURE, "--media-dir", str(uploads), "--pages=posts")
    assert again.exit_code == 0, again.output
    assert "Skipped 10 posts this site imported before." in again.output
    assert "Gave 1 post imported before their featured image" in again.output
    posts = posts_by_wp_id(app)
    given = [post for post in posts.values() if post.image is not None]
    assert len(given) == 1 and given[0].wp_id in featured and given[0].image_alt
    # A third run finds every file stored: no copies, nothing given twice.
    before = counts(app), media_files(app)
    third = import_wxr(app, FIXTURE, "--media-dir", str(uploads), "--pages=posts")
    assert "featured image" not in third.output
    assert (counts(app), media_files(app)) == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t[: len(t) // 2], "is not well-formed XML"),
        (lambda t: t.replace("]]></content:encoded>", "</content:encoded>", 1), "not well-formed"),
        (lambda t: t.replace("<wp:wxr_version>1.2</wp:wxr_version>", ""), "no WXR version"),
        (lambda t: t.replace("</rss>", ""), "is not well-formed XML"),
        (lambda t: t.replace("<rss", "<feed", 1).replace("</rss>", "</feed>"), "not a WordPress"),
        (lambda t: t.replace("<wp:post_id>110<", "<wp:post_id>11O<"), "bad <wp:post_id> '11O'"),
        (lambda t: t.replace("2021-03-10 09:30:00", "10/03/2021"), "bad date '10/03/2021'"),
        (lambda t: t.replace("2021-03-10 09:30:00", "0001-01-01 00:00:00"), "from 1970 to"),
        (
            lambda t: t.replace("<rss", '<!DOCTYPE rss [<!ENTITY lol "lol">]>\n<rss', 1).replace(
                "<title>Harbour Gazette</title>", "<title>&lol;</title>", 1
            ),
            "declares a DOCTYPE",
        ),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(app, tmp_path, uploads, edit, message):
    path = tmp_path / "export.xml"
    path.write_text(edit(FIXTURE.read_text(encoding="utf-8")), encoding="utf-8")
    before = counts(app), media_files(app)

    result = import_wxr(app, path, "--media-dir", str(uploads))

    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Nothing was changed." in result.output
    assert (counts(app), media_files(app)) == before


def test_a_failure_halfway_leaves_neither_rows_nor_files(app, uploads, monkeypatch):
    from blog.wordpress import importing
    from blog.wordpress.wxr import WxrError

    calls = []
    real = importing.unique_slug

    def failing(model, base, exclude_id=None):
        calls.append(base)
        if len(calls) == 3:
            raise WxrError("The disk is full.")
        return real(model, base, exclude_id)

    monkeypatch.setattr(importing, "unique_slug", failing)
    before = counts(app)

    result = import_wxr(app, FIXTURE, "--media-dir", str(uploads))

    assert result.exit_code == 1
    assert "The disk is full. Nothing was changed." in result.output
    assert counts(app) == before
    assert media_files(app) == {}


def test_attachment_paths_cannot_leave_the_media_folder(app, tmp_path, uploads):
    secret = tmp_path / "secret.jpg"
    shutil.copyfile(uploads / "2024/05/harbour.jpg", secret)
    text = (
        FIXTURE.read_text(encoding="utf-8")
        .replace(
            "<wp:meta_value><![CDATA[2024/05/harbour.jpg]]>",
            "<wp:meta_value><![CDATA[../secret.jpg]]>",
        )
        .replace("2024/05/harbour.jpg", "2024/05/elsewhere.jpg")
    )
    path = tmp_path / "export.xml"
    path.write_text(text, encoding="utf-8")

    result = import_wxr(app, path, "--media-dir", str(uploads))

    assert result.exit_code == 0, result.output
    assert "Imported 9 posts, 1 page and 0 images." in result.output


# Export: WXR 1.2 that WordPress's importer reads.


def jpeg(width=800) -> FileStorage:
    data = io.BytesIO()
    Image.new("RGB", (width, width // 2), (200, 30, 30)).save(data, "JPEG")
    data.seek(0)
    return FileStorage(stream=data, filename="red.jpg")


@pytest.fixture
def site(app, content, editor):
    """A site with every status, Markdown and HTML bodies, Unicode, and a featured image."""
    content.post(
        "Ünïcödé news from 東京 🚀",
        category="Culture & Arts",
        tags=["Café", "日本"],
        body="Ça va? **Grüße** — a CDATA end ]]> in the text.",
        published_at=datetime(2024, 5, 14, 7, 30),
    )
    draft = content.post("A draft", status="draft")
    content.post("Trashed", status="trash", published_at=datetime(2023, 1, 2, 3, 4))
    content.post("Scheduled", published_at=utcnow().replace(microsecond=0) + timedelta(days=30))
    with app.app_context():
        image = save_upload(jpeg())
        post = db.session.scalars(select(Post).order_by(Post.id)).first()
        post.image_id, post.image_alt = image.id, "A red field"
        post.body_format = "html"
        post.body_source = f'<p>Look: <img src="/media/{image.filename}" alt=""> ]]> done</p>'
        post.seo_description = "Described ✓"
        db.session.scalar(select(Post).where(Post.slug == draft)).published_at = None
        accounts.ensure_editor_account()
        db.session.commit()
    return app


def export_wxr(app, path, *options):
    return app.test_cli_runner().invoke(args=["export-wxr", str(path), *options])


@pytest.fixture
def exported(site, tmp_path):
    path = tmp_path / "out.xml"
    result = export_wxr(site, path, "--base-url", "https://news.example/")
    assert result.exit_code == 0, result.output
    assert (
        "Exported 4 posts, 0 pages, 1 image, 2 categories, 2 tags and 0 menu items" in result.output
    )
    return path


def child_tags(item) -> list[str]:
    """Return an item's element names in order, without the repeated ones."""
    repeated = {"category", f"{WP}postmeta", f"{WP}comment"}
    return [child.tag for child in item if child.tag not in repeated]


def test_export_is_wxr_1_2_shaped_like_wordpress_own(exported):
    text = exported.read_text(encoding="utf-8")
    namespaces = dict(event[1] for event in ET.iterparse(exported, events=["start-ns"]))
    assert namespaces == {
        "excerpt": "http://wordpress.org/export/1.2/excerpt/",
        "content": CONTENT,
        "wfw": "http://wellformedweb.org/CommentAPI/",
        "dc": DC,
        "wp": "http://wordpress.org/export/1.2/",
    }
    channel = ET.parse(exported).getroot().find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert channel.findtext(f"{WP}base_site_url") == "https://news.example"
    assert channel.find(f"{WP}author").findtext(f"{WP}author_login") == "editor"
    assert {c.findtext(f"{WP}category_nicename") for c in channel.iter(f"{WP}category")} == {
        "culture-arts",
        "world-news",
    }
    # Item by item, the same elements in the same order as WordPress's own export.
    reference = ET.parse(FIXTURE).getroot().find("channel")
    wp_post, wp_attachment = (
        next(i for i in reference.iter("item") if i.findtext(f"{WP}post_type") == kind)
        for kind in ("post", "attachment")
    )
    items = list(channel.iter("item"))
    assert [i.findtext(f"{WP}post_type") for i in items] == ["attachment"] + ["post"] * 4
    assert child_tags(items[0]) == child_tags(wp_attachment)
    for item in items[1:]:
        assert child_tags(item) == child_tags(wp_post)
    # Text in CDATA, a "]]>" split the way WordPress's wxr_cdata() splits it.
    assert "]]]]><![CDATA[>" in text
    assert "<title><![CDATA[Ünïcödé news from 東京 🚀]]></title>" in text


def test_export_items_carry_status_dates_terms_and_images(exported):
    channel = ET.parse(exported).getroot().find("channel")
    attachment, *posts = channel.iter("item")
    by_title = {item.findtext("title"): item for item in posts}
    first = by_title["Ünïcödé news from 東京 🚀"]
    assert first.findtext(f"{WP}status") == "publish"
    assert first.findtext(f"{WP}post_date_gmt") == "2024-05-14 07:30:00"
    assert first.findtext(f"{WP}post_name").startswith("ünïcödé-news-from-東京")
    assert first.findtext("link").startswith("https://news.example/posts/")
    assert first.find("guid").get("isPermaLink") == "false"
    terms = [(c.get("domain"), c.get("nicename"), c.text) for c in first.iter("category")]
    # Names are HTML in WordPress, as in its own exports ("Boats &amp; Ships").
    assert terms == [
        ("category", "culture-arts", "Culture &amp; Arts"),
        ("post_tag", "café", "Café"),
        ("post_tag", "日本", "日本"),
    ]
    body = first.findtext(f"{{{CONTENT}}}encoded")
    url = attachment.findtext(f"{WP}attachment_url")
    assert url.startswith("https://news.example/media/") and url.endswith(".jpg")
    assert f'<img src="{url}" alt=""> ]]> done' in body
    meta = {
        m.findtext(f"{WP}meta_key"): m.findtext(f"{WP}meta_value")
        for m in first.iter(f"{WP}postmeta")
    }
    assert meta["_thumbnail_id"] == attachment.findtext(f"{WP}post_id")
    assert meta["_yoast_wpseo_metadesc"] == "Described ✓"
    assert by_title["A draft"].findtext(f"{WP}status") == "draft"
    assert by_title["A draft"].findtext(f"{WP}post_date_gmt") == "0000-00-00 00:00:00"
    assert by_title["Trashed"].findtext(f"{WP}status") == "trash"
    assert by_title["Scheduled"].findtext(f"{WP}status") == "future"
    assert first.findtext(f"{EXCERPT}encoded") == ""


def test_export_needs_a_public_address(site, tmp_path):
    result = export_wxr(site, tmp_path / "out.xml")

    assert result.exit_code == 1
    assert "--base-url https://news.example" in result.output
    assert not (tmp_path / "out.xml").exists()


def fresh_site(tmp_path, migrated_database):
    folder = tmp_path / "fresh"
    folder.mkdir()
    shutil.copyfile(migrated_database, folder / "blog.sqlite")
    return make_app(folder)


def summary(app) -> dict[str, tuple]:
    with app.app_context():
        posts = db.session.scalars(select(Post).order_by(Post.id)).all()
        result = {}
        for post in posts:
            db.session.refresh(post, ["category", "tags", "image"])
            result[post.slug] = (
                post.title,
                post.status,
                post.published_at,
                post.is_scheduled(),
                post.category.slug,
                post.category.name,
                [(t.slug, t.name) for t in post.tags],
                post.image_alt,
                post.image.width if post.image else None,
            )
        db.session.remove()
        return result


def test_round_trip_through_wxr_keeps_what_wordpress_can_hold(
    site, exported, tmp_path, migrated_database
):
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        result = import_wxr(fresh, exported, "--media-dir", site.config["MEDIA_FOLDER"])
        assert result.exit_code == 0, result.output
        assert "Imported 4 posts, 0 pages and 1 image." in result.output
        assert summary(fresh) == summary(site)
        with fresh.app_context():
            post = db.session.scalars(select(Post).where(Post.image_id.is_not(None))).one()
            image = db.session.get(Media, post.image_id)
            # The body's image is the imported copy, no longer the address of the old site.
            assert f'<img src="/media/{image.filename}" alt="">' in post.body_html
            assert "]]&gt; done" in post.body_html
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_content_fixture_survives_import_then_export_then_import(
    app, imported, tmp_path, migrated_database
):
    path = tmp_path / "again.xml"
    assert export_wxr(app, path, "--base-url", "https://news.example").exit_code == 0
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        with fresh.app_context():
            db.session.add(Setting(key="timezone", value="Europe/Berlin"))
            db.session.commit()
        result = import_wxr(fresh, path, "--media-dir", app.config["MEDIA_FOLDER"])
        assert result.exit_code == 0, result.output
        assert summary(fresh) == summary(app)
        # WordPress ids travel too: the old /?p= links keep working on the next site.
        response = fresh.test_client().get("/?p=101")
        assert response.headers["Location"] == "/posts/harbour-lights-return"
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_existing_categories_and_tags_are_found_by_slug(app, content):
    content.post("Written here first", category="News", tags=["Harbour"])

    result = import_wxr(app)

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Category)) == 4
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 4


def featured_wp_ids(app) -> list[int]:
    from blog.models import FeaturedPost

    with app.app_context():
        rows = db.session.execute(
            select(Post.wp_id)
            .join(FeaturedPost, FeaturedPost.post_id == Post.id)
            .order_by(FeaturedPost.position)
        )
        return [wp_id for (wp_id,) in rows]


def test_a_sticky_post_comes_in_featured(app, imported):
    assert featured_wp_ids(app) == [102]


def test_featured_posts_go_out_sticky_and_come_back_featured(site, tmp_path, migrated_database):
    from blog.models import FeaturedPost

    with site.app_context():
        first = db.session.scalars(select(Post).order_by(Post.id)).first()
        db.session.add(FeaturedPost(post_id=first.id, position=1))
        db.session.commit()
        slug = first.slug
    path = tmp_path / "sticky.xml"
    assert export_wxr(site, path, "--base-url", "https://news.example").exit_code == 0
    assert path.read_text().count("<wp:is_sticky>1</wp:is_sticky>") == 1
    fresh = fresh_site(tmp_path, migrated_database)
    try:
        assert import_wxr(fresh, path).exit_code == 0
        with fresh.app_context():
            pinned = db.session.scalars(
                select(Post.slug).join(FeaturedPost, FeaturedPost.post_id == Post.id)
            ).all()
        assert pinned == [slug]
    finally:
        with fresh.app_context():
            db.engine.dispose()
