"""WordPress comments (issue 18, item 4): approved ones imported, shown read-only, exported again.

tests/data/theme-preview.xml is WordPress's own Theme Unit Test export (an approved comment on
"HTML" and one on "Hello world!"); the other cases are small files written here: pings, held
and spam comments, a thread, a protected post, markup that must stay text.
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
from blog.models import Comment, Post, utcnow
from blog.wordpress.comments import comment_text
from tests.conftest import make_app
from tests.helpers import csrf_token
from tests.test_wxr_holes import wxr

DATA = Path(__file__).parent / "data"
SECRET = "zanzibarquokka"  # a word only the protected post's comment holds
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def comment(
    wp_id: int,
    text: str,
    *,
    author: str = "Reader",
    url: str = "",
    approved: str = "1",
    kind: str = "",
    parent: int = 0,
    date: str = "2024-05-14 09:00:00",
) -> str:
    return f"""
		<wp:comment>
			<wp:comment_id>{wp_id}</wp:comment_id>
			<wp:comment_author><![CDATA[{author}]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[reader@example.com]]></wp:comment_author_email>
			<wp:comment_author_url>{url}</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[192.0.2.1]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[{date}]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[{date}]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[{text}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
			<wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>"""


def post_item(wp_id: int, slug: str, comments: list[str], password: str = "") -> str:
    return f"""	<item>
		<title>{slug.replace("-", " ").title()}</title>
		<link>https://old.example/?p={wp_id}</link>
		<content:encoded><![CDATA[<p>The story of {slug}.</p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{wp_id}</wp:post_id>
		<wp:post_date><![CDATA[2024-05-14 07:30:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2024-05-14 07:30:00]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:post_password><![CDATA[{password}]]></wp:post_password>
		<category domain="category" nicename="news"><![CDATA[News]]></category>{"".join(comments)}
	</item>"""


DISCUSSED = [
    comment(
        101,
        '<p>First paragraph, with <a href="javascript:alert(1)">a link</a>.</p>\n'
        "<p>Second one.</p><script>alert('x')</script>",
        author="Ada <b>Lovelace</b>",
        url="https://ada.example/",
        date="2024-05-14 09:00:00",
    ),
    comment(
        102,
        "Plain text on two lines\nas WordPress keeps them.\n\n"
        "&lt;script&gt;alert(2)&lt;/script&gt;",
        author="Mallory",
        url="javascript:alert(3)",
        date="2024-05-14 10:00:00",
    ),
    comment(103, "A reply to Ada.", author="Bob", parent=101, date="2024-05-14 11:00:00"),
    comment(104, "Awaiting moderation text", approved="0"),
    comment(105, "Buy cheap spam text", approved="spam"),
    comment(106, "Pingback text", kind="pingback"),
    comment(107, "Trackback text", kind="trackback"),
]


@pytest.fixture
def site_file(tmp_path) -> Path:
    items = [
        post_item(10, "discussed", DISCUSSED),
        post_item(11, "friends-only", [comment(201, f"A {SECRET} secret.")], password="x"),
    ]
    path = tmp_path / "site.xml"
    path.write_text(wxr("\n".join(items)), encoding="utf-8")
    return path


def import_file(app, path: Path) -> str:
    result = app.test_cli_runner().invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def comment_rows(app) -> list[tuple]:
    """Every comment as (post slug, wp id, parent, author, url, date, text), in order."""
    with app.app_context():
        stmt = (
            select(
                Post.slug,
                Comment.wp_id,
                Comment.parent_wp_id,
                Comment.author_name,
                Comment.author_url,
                Comment.created_at,
                Comment.text,
            )
            .join(Post, Post.id == Comment.post_id)
            .order_by(Post.slug, Comment.wp_id)
        )
        return [tuple(row) for row in db.session.execute(stmt)]


def test_the_theme_unit_tests_comments_show_under_their_post(app, client):
    out = import_file(app, DATA / "theme-preview.xml")

    assert "Imported 2 comments: shown under their posts, read-only." in out
    page = client.get("/posts/html").text
    assert "Comments from the earlier site" in page
    shown = page.split("Comments from the earlier site")[1]
    assert "Anon" in shown and "themedemos" not in shown
    assert "I never could remember more than the first few lines of that nursery rhyme." in shown
    assert '<time datetime="2007-09-04' in shown
    # Read-only: no form under the post.
    assert "<form" not in shown
    assert "Need a comment with a real Gravatar." in client.get("/posts/hello-world").text
    # A post without comments has no such block.
    with app.app_context():
        quiet = db.session.scalar(
            select(Post.slug).where(Post.slug.not_in(["html", "hello-world"]))
        )
    assert "Comments from the earlier site" not in client.get(f"/posts/{quiet}").text


def test_approved_comments_show_as_escaped_text(app, client, site_file):
    out = import_file(app, site_file)

    assert "Imported 3 comments: shown under their posts, read-only." in out
    assert (
        "Left out 5 comments (1 awaiting moderation, 1 spam, 2 pingbacks and trackbacks, "
        "1 of private or password-protected posts)."
    ) in out
    page = client.get("/posts/discussed").text
    shown = page.split("Comments from the earlier site")[1]
    # Tags stripped, paragraphs kept; a script's code is not text a reader saw.
    assert "<p>First paragraph, with a link.</p><p>Second one.</p>" in shown
    assert "alert('x')" not in page and "alert(1)" not in page
    # Markup written as text stays text: escaped, never markup.
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in shown
    assert "<script>alert(2)" not in page
    assert "Plain text on two lines\nas WordPress keeps them." in shown
    # An author's http(s) address is a link the site does not vouch for; any other is none.
    assert 'href="https://ada.example/" rel="nofollow ugc noopener">Ada Lovelace</a>' in shown
    assert "alert(3)" not in page and ">Mallory</span>" in shown.replace("\n", "")
    # The reply follows what it answers, indented; the rest oldest first.
    assert shown.index("Ada Lovelace") < shown.index("A reply to Ada.") < shown.index("Mallory")
    assert 'class="comment reply depth-1"' in shown
    for left_out in ("Awaiting moderation", "spam text", "Pingback", "Trackback"):
        assert left_out not in page
    assert [row[1] for row in comment_rows(app)] == [101, 102, 103]


def test_a_protected_posts_comments_are_never_public(app, client, site_file):
    import_file(app, site_file)

    assert client.get("/posts/friends-only").status_code == 404
    for path in ("/", "/feed.rss", "/category/news"):
        assert SECRET not in client.get(path).text, path
    assert "0 posts match." in client.get("/search?q=" + SECRET).text
    # Not even kept: the editor may publish the post one day, its comments stay private.
    assert all(row[0] != "friends-only" for row in comment_rows(app))


def test_importing_again_adds_no_comment_twice(app, site_file):
    import_file(app, site_file)
    before = comment_rows(app)

    out = import_file(app, site_file)

    assert comment_rows(app) == before
    assert "Imported 0 posts" in out and "comments:" not in out


def test_a_post_imported_without_its_comments_gets_them_on_a_new_import(app, site_file):
    import_file(app, site_file)
    before = comment_rows(app)
    with app.app_context():
        db.session.execute(delete(Comment))
        db.session.commit()

    out = import_file(app, site_file)

    assert "Skipped 2 posts this site imported before." in out
    assert "Imported 3 comments" in out
    assert comment_rows(app) == before


def test_export_wxr_and_import_again_keeps_the_comments(app, site_file, tmp_path):
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
        db.session.execute(delete(Post))
        db.session.commit()

    import_file(other, exported)

    assert comment_rows(other) == comment_rows(app)
    page = other.test_client().get("/posts/discussed").text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert 'class="comment reply depth-1"' in page
    with other.app_context():
        db.engine.dispose()


def test_the_json_export_carries_them_and_older_archives_still_import(app, site_file, tmp_path):
    import_file(app, site_file)
    archive = tmp_path / "site.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        content = json.loads(zipped.read("content.json"))
    assert content["counts"]["comments"] == 3

    result = runner.invoke(args=["import", str(archive), "--force"])

    assert result.exit_code == 0, result.output
    assert len(comment_rows(app)) == 3
    assert "Ada Lovelace" in app.test_client().get("/posts/discussed").text
    # An archive made before comments existed has none of them.
    del content["comments"], content["counts"]["comments"]
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(older, "w") as zipped:
        zipped.writestr("content.json", json.dumps(content))
    result = runner.invoke(args=["import", str(older), "--force"])
    assert result.exit_code == 0, result.output
    assert comment_rows(app) == []


def test_an_archive_with_an_unsafe_author_address_is_refused(app, site_file, tmp_path):
    import_file(app, site_file)
    archive = tmp_path / "site.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        content = json.loads(zipped.read("content.json"))
    content["comments"][0]["author_url"] = "javascript:alert(1)"
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zipped:
        zipped.writestr("content.json", json.dumps(content))

    result = runner.invoke(args=["import", str(forged), "--force"])

    assert result.exit_code == 1
    assert "its author's address is not http(s)" in result.output


def test_trash_keeps_the_comments_and_deleting_the_post_removes_them(app, signed_in, site_file):
    import_file(app, site_file)
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.slug == "discussed"))

    trash = f"/editor/posts/{post_id}/trash"
    signed_in.post(trash, data={"csrf_token": csrf_token(signed_in, trash)})
    assert signed_in.get("/posts/discussed").status_code == 404
    assert len(comment_rows(app)) == 3

    delete_url = f"/editor/posts/{post_id}/delete"
    signed_in.post(delete_url, data={"csrf_token": csrf_token(signed_in, delete_url)})

    with app.app_context():
        assert db.session.get(Post, post_id) is None
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_the_page_reads_its_comments_in_one_query(app, client, count_queries, site_file):
    app.config["PAGE_CACHE"] = False  # measure full renders
    import_file(app, site_file)
    client.get("/posts/discussed")  # the memos of the first request
    _, with_comments = count_queries(lambda: client.get("/posts/discussed"))
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.slug == "discussed"))
        db.session.add_all(
            Comment(
                post_id=post_id,
                wp_id=1000 + n,
                author_name="Many",
                created_at=utcnow(),
                text="More.",
            )
            for n in range(40)
        )
        db.session.commit()
    client.get("/posts/discussed")
    _, with_more = count_queries(lambda: client.get("/posts/discussed"))

    assert len(with_more) == len(with_comments)
    assert sum("FROM comments" in statement for statement in with_more) == 1


@pytest.mark.parametrize(
    "html, text",
    [
        ("Line one\nline two\n\nA new paragraph", "Line one\nline two\n\nA new paragraph"),
        ("<p>One</p><p>Two<br>three</p>", "One\n\nTwo\nthree"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        ("<style>p{}</style><b>bold</b>  and   spaced", "bold and spaced"),
        ("\r\n\r\n  <p></p>  ", ""),
    ],
)
def test_comment_html_becomes_plain_text(html, text):
    assert comment_text(html) == text


def test_every_xss_payload_in_a_comment_stays_dead(app, client, tmp_path):
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
    path.write_text(wxr(post_item(10, "discussed", comments)), encoding="utf-8")
    import_file(app, path)

    page = client.get("/posts/discussed").text

    assert page.count('class="comment"') == len(ENTRIES)
    assert read_page(page).problems == []
    byline = r'<span class="byline"><a href="([^"]*)" rel="nofollow ugc noopener">'
    for href in re.findall(byline, page):
        assert href.startswith(("http://", "https://")), href


def test_markup_the_html_parser_gives_up_on_is_still_text():
    assert comment_text('Hi <![><img src="]><img src=x onerror=alert(1)//">') == "Hi"
