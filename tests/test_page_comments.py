"""Readers' comments on WordPress pages: imported with the page, shown under it, exported again.

tests/data/wordpress-site.xml has a "Page with comments" (/about/page-with-comments/), given
comments here; the other cases are small files of pages written here.
"""

import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from sqlalchemy import delete, func, select

from blog.extensions import db
from blog.models import Comment, Page, Post, utcnow
from tests.conftest import make_app
from tests.helpers import csrf_token
from tests.test_wxr_comments import DISCUSSED, SECRET, comment, import_file, post_item
from tests.test_wxr_holes import wxr

DATA = Path(__file__).parent / "data"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def page_item(wp_id: int, slug: str, comments: list[str], **fields: str) -> str:
    status, password = fields.get("status", "publish"), fields.get("password", "")
    return f"""	<item>
		<title>{slug.replace("-", " ").title()}</title>
		<link>https://old.example/{slug}/</link>
		<content:encoded><![CDATA[<p>The page {slug}.</p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{wp_id}</wp:post_id>
		<wp:post_date><![CDATA[2024-05-14 07:30:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2024-05-14 07:30:00]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[{status}]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:post_type><![CDATA[page]]></wp:post_type>
		<wp:post_password><![CDATA[{password}]]></wp:post_password>{"".join(comments)}
	</item>"""


@pytest.fixture
def site_file(tmp_path) -> Path:
    items = [
        page_item(20, "guestbook", DISCUSSED),
        page_item(21, "members", [comment(301, f"A {SECRET} secret.")], password="x"),
        page_item(22, "staff-room", [comment(302, f"Another {SECRET}.")], status="private"),
    ]
    path = tmp_path / "pages.xml"
    path.write_text(wxr("\n".join(items)), encoding="utf-8")
    return path


def page_comment_rows(app) -> list[tuple]:
    """Every page's comment as (page slug, wp id, parent, author, url, date, text), in order."""
    with app.app_context():
        stmt = (
            select(
                Page.slug,
                Comment.wp_id,
                Comment.parent_wp_id,
                Comment.author_name,
                Comment.author_url,
                Comment.created_at,
                Comment.text,
            )
            .join(Page, Page.id == Comment.page_id)
            .order_by(Page.slug, Comment.wp_id)
        )
        return [tuple(row) for row in db.session.execute(stmt)]


def test_the_page_with_comments_shows_them_at_its_address(app, client, tmp_path):
    text = (DATA / "wordpress-site.xml").read_text(encoding="utf-8")
    at = text.index("<title><![CDATA[Page with comments]]></title>")
    end = text.index("\t</item>", at)
    comments = comment(90, "Thanks for the history.", author="Ada", date="2024-01-02 10:00:00")
    comments += comment(91, "Glad you liked it.", author="Editor", parent=90)
    comments += comment(92, "Held back text", approved="0")
    comments += comment(93, "Pingback text", kind="pingback")
    path = tmp_path / "commented.xml"
    path.write_text(text[:end] + comments + "\n" + text[end:], encoding="utf-8")

    out = import_file(app, path)

    assert "Imported 2 comments: shown under their posts and pages, read-only." in out
    assert "Left out 2 comments (1 awaiting moderation, 1 pingbacks and trackbacks)." in out
    page = client.get("/about/page-with-comments/").text
    assert "Comments from the earlier site" in page
    assert "Thanks for the history." in page
    assert 'class="comment reply depth-1"' in page and "Glad you liked it." in page
    assert "Held back" not in page and "Pingback" not in page


def test_comments_are_plain_text_and_links_safe(app, client, site_file):
    import_file(app, site_file)

    page = client.get("/guestbook/").text

    assert "<p>First paragraph, with a link.</p><p>Second one.</p>" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert '<a href="https://ada.example/" rel="nofollow ugc noopener">Ada Lovelace</a>' in page
    for left_out in ("Awaiting moderation", "spam text", "Pingback", "Trackback"):
        assert left_out not in page


def test_a_protected_or_private_pages_comments_are_never_stored(app, client, site_file):
    out = import_file(app, site_file)

    assert "2 of private or password-protected posts and pages" in out
    assert [row[0] for row in page_comment_rows(app)] == ["guestbook"] * 3
    for path in ("/members/", "/staff-room/", "/guestbook/"):
        assert SECRET not in client.get(path).text, path


def test_importing_again_adds_no_comment_twice(app, site_file):
    import_file(app, site_file)
    before = page_comment_rows(app)

    out = import_file(app, site_file)

    assert page_comment_rows(app) == before
    assert "comments:" not in out


def test_a_page_imported_without_its_comments_gets_them_on_a_new_import(app, site_file):
    import_file(app, site_file)
    before = page_comment_rows(app)
    with app.app_context():
        db.session.execute(delete(Comment))
        db.session.commit()

    out = import_file(app, site_file)

    assert "Imported 3 comments" in out
    assert page_comment_rows(app) == before


def test_export_wxr_and_import_into_a_fresh_site_keeps_them(app, site_file, tmp_path):
    import_file(app, site_file)
    exported = tmp_path / "export.xml"
    result = app.test_cli_runner().invoke(
        args=["export-wxr", str(exported), "--base-url", "https://news.example"]
    )
    assert result.exit_code == 0, result.output
    assert exported.read_text().count("<wp:comment>") == 3
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copyfile(tmp_path / "blog.sqlite", fresh / "blog.sqlite")  # then emptied
    other = make_app(fresh)
    with other.app_context():
        db.session.execute(delete(Page))
        db.session.execute(delete(Post))
        db.session.commit()

    import_file(other, exported)

    assert page_comment_rows(other) == page_comment_rows(app)
    page = other.test_client().get("/guestbook/").text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert 'class="comment reply depth-1"' in page
    with other.app_context():
        db.engine.dispose()


def test_the_json_export_round_trip_keeps_them(app, site_file, tmp_path):
    import_file(app, site_file)
    before = page_comment_rows(app)
    archive = tmp_path / "site.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        content = json.loads(zipped.read("content.json"))
    assert {row["post_id"] for row in content["comments"]} == {None}
    assert all(row["page_id"] for row in content["comments"])

    result = runner.invoke(args=["import", str(archive), "--force"])

    assert result.exit_code == 0, result.output
    assert page_comment_rows(app) == before
    assert "Ada Lovelace" in app.test_client().get("/guestbook/").text


def test_an_archive_made_before_pages_had_comments_still_imports(app, tmp_path):
    path = tmp_path / "post.xml"
    path.write_text(wxr(post_item(10, "discussed", DISCUSSED)), encoding="utf-8")
    import_file(app, path)
    archive = tmp_path / "site.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        content = json.loads(zipped.read("content.json"))
    for row in content["comments"]:
        del row["page_id"]
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(older, "w") as zipped:
        zipped.writestr("content.json", json.dumps(content))

    result = runner.invoke(args=["import", str(older), "--force"])

    assert result.exit_code == 0, result.output
    assert "Ada Lovelace" in app.test_client().get("/posts/discussed").text


def test_an_archive_comment_of_neither_a_post_nor_a_page_is_refused(app, site_file, tmp_path):
    import_file(app, site_file)
    archive = tmp_path / "site.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        content = json.loads(zipped.read("content.json"))
    content["comments"][0]["page_id"] = None
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zipped:
        zipped.writestr("content.json", json.dumps(content))

    result = runner.invoke(args=["import", str(forged), "--force"])

    assert result.exit_code == 1
    assert "contradict each other" in result.output


def test_deleting_a_page_deletes_its_comments(app, signed_in, site_file):
    import_file(app, site_file)
    with app.app_context():
        page_id = db.session.scalar(select(Page.id).where(Page.slug == "guestbook"))

    trash = f"/editor/pages/{page_id}/trash"
    signed_in.post(trash, data={"csrf_token": csrf_token(signed_in, trash)})
    assert len(page_comment_rows(app)) == 3
    delete_url = f"/editor/pages/{page_id}/delete"
    signed_in.post(delete_url, data={"csrf_token": csrf_token(signed_in, delete_url)})

    with app.app_context():
        assert db.session.get(Page, page_id) is None
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_the_page_reads_its_comments_in_one_query(app, client, count_queries, site_file):
    app.config["PAGE_CACHE"] = False  # measure full renders
    import_file(app, site_file)
    client.get("/guestbook/")  # the memos of the first request
    _, with_comments = count_queries(lambda: client.get("/guestbook/"))
    with app.app_context():
        page_id = db.session.scalar(select(Page.id).where(Page.slug == "guestbook"))
        db.session.add_all(
            Comment(
                page_id=page_id,
                wp_id=1000 + n,
                author_name="Many",
                created_at=utcnow(),
                text="More.",
            )
            for n in range(40)
        )
        db.session.commit()
    client.get("/guestbook/")
    _, with_more = count_queries(lambda: client.get("/guestbook/"))

    assert client.get("/guestbook/").text.count('class="comment"') == 42
    assert len(with_more) == len(with_comments)
    assert sum("FROM comments" in statement for statement in with_more) == 1


def test_every_xss_payload_in_a_page_comment_stays_dead(app, client, tmp_path):
    """The XSS corpus as comment texts, author names and author addresses: nothing runs."""
    from tests.test_xss_channels import ENTRIES, read_page

    def cdata(text: str) -> str:
        return _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")

    comments = [
        comment(
            number,
            cdata(entry["input"]),
            author=cdata(entry["input"])[:200],
            url=xml_escape(_NOT_XML.sub("", entry["input"]).strip()),
        )
        for number, entry in enumerate(ENTRIES, 1)
    ]
    path = tmp_path / "payloads.xml"
    path.write_text(wxr(page_item(20, "guestbook", comments)), encoding="utf-8")
    import_file(app, path)

    page = client.get("/guestbook/").text

    assert page.count('class="comment"') == len(ENTRIES)
    assert read_page(page).problems == []
    byline = r'<span class="byline"><a href="([^"]*)" rel="nofollow ugc noopener">'
    for href in re.findall(byline, page):
        assert href.startswith(("http://", "https://")), href
