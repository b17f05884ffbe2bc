"""Reading polish: excerpts, the editor's way back from a post, bios, media addresses, layout."""

import re

import pytest
from sqlalchemy import select, update

from blog.extensions import db
from blog.models import Post, User
from tests.helpers import csrf_token, post_form_data


@pytest.fixture
def publish(signed_in, category_id):
    """Publish a post through the editor's form; return its id."""

    def submit(post_id=None, **fields):
        url = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        data = post_form_data(signed_in, url, category_id, status="publish", **fields)
        response = signed_in.post(url, data=data)
        assert response.status_code == 302, response.text[:2000]
        return int(response.location.rsplit("/", 1)[1])

    return submit


def stored(app, post_id: int) -> Post:
    with app.app_context():
        post = db.session.get(Post, post_id)
        db.session.expunge_all()
        return post


MARKDOWN = """\
Intro with *emphasis*.

## The heading

- first item
- second item

```python
print("code is not prose")
```

Last words.
"""


def test_automatic_excerpt_is_the_paragraphs_kept_apart(app, client, publish):
    post_id = publish(title="Tour", body=MARKDOWN)
    excerpt = stored(app, post_id).excerpt
    assert excerpt == "Intro with emphasis. Last words."
    assert excerpt in client.get("/").text


def test_html_blocks_without_whitespace_do_not_run_together(app, publish):
    body = "<h2>Heading</h2><ul><li>one</li><li>two</li></ul><p>a<br>b</p>"
    post_id = publish(title="Tight", body_format="html", body=body)
    assert stored(app, post_id).excerpt == "a b"
    only_a_heading = publish(title="Bare", body_format="html", body="<h2>Only this</h2>")
    assert stored(app, only_a_heading).excerpt == "Only this"


def test_cut_excerpt_ends_in_one_ellipsis_not_punctuation_and_ellipsis(app, publish):
    body = " ".join(f"Sentence {n} ends here." for n in range(1, 20))
    post_id = publish(title="Long", body=body)
    excerpt = stored(app, post_id).excerpt
    # Forty words end on "Sentence 10 ends here." whose full stop the ellipsis replaces.
    assert excerpt.endswith("Sentence 10 ends here…")
    assert not re.search(r"[.,;:!?]…$", excerpt)


def test_stored_excerpts_change_only_when_the_post_is_saved(app, client, publish):
    post_id = publish(title="Old one", body="Old text.")
    with app.app_context():
        # An excerpt derived by the old rule stays as stored: nothing re-derives on read.
        db.session.execute(update(Post).where(Post.id == post_id).values(excerpt="Old rule.…"))
        db.session.commit()
    assert "Old rule.…" in client.get("/").text
    publish(post_id, title="Old one", body="## Headline\n\nOld text.")
    assert stored(app, post_id).excerpt == "Old text."


def test_edit_link_only_for_the_signed_in_editor_and_never_cached(
    app, client, signed_in, publish, category_id
):
    post_id = publish(title="Editable", body="Text.")
    slug = stored(app, post_id).slug
    reader = app.test_client()
    link = f'<a href="/editor/posts/{post_id}">Edit post</a>'
    assert link not in reader.get(f"/posts/{slug}").text  # the cache now holds the page
    response = signed_in.get(f"/posts/{slug}")
    assert link in response.text
    # Only the editor's browser may keep it: no shared cache, no validator to revalidate with.
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response.headers
    for _ in range(2):  # a miss, then a hit
        assert link not in app.test_client().get(f"/posts/{slug}").text
    # The preview has its own way back, in its banner.
    data = post_form_data(signed_in, f"/editor/posts/{post_id}", category_id, title="Edited")
    preview = signed_in.post("/editor/preview", data=data).text
    assert "Preview: only you can see this page" in preview and "Edit post" not in preview


def test_author_bio_keeps_its_lines_and_paragraphs_as_text(app, client, signed_in, content):
    bio = "Reporter <b>at large</b>.\r\nCovers the harbour.\r\n\r\nSecond paragraph."
    token = csrf_token(signed_in, "/editor/profile")
    with app.app_context():
        display_name = db.session.scalar(select(User.display_name))
    response = signed_in.post(
        "/editor/profile", data={"csrf_token": token, "display_name": display_name, "bio": bio}
    )
    assert response.status_code == 302, response.text[:2000]
    with app.app_context():
        username = db.session.scalar(select(User.username))
    content.post(author=username)  # an author with no public post has no page
    page = client.get(f"/author/{username}").text
    paragraphs = re.findall(r'<p class="description">(.*?)</p>', page, re.DOTALL)
    assert paragraphs == [
        "Reporter &lt;b&gt;at large&lt;/b&gt;.\nCovers the harbour.",
        "Second paragraph.",
    ]
    # The line break inside a paragraph shows: the stylesheet keeps it (pre-line).
    assert re.search(r"\.archive-header \.description \{[^}]*white-space: pre-line", css(client))


def css(client, name="site") -> str:
    """Return a stylesheet as the browser gets it."""
    with client.get(f"/static/css/{name}.css") as response:
        return response.get_data(as_text=True)


def test_media_address_box_fills_its_cell_in_a_readable_font(signed_in):
    from io import BytesIO

    from PIL import Image

    image = BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(image, "PNG")
    image.seek(0)
    token = csrf_token(signed_in, "/editor/media/")
    response = signed_in.post(
        "/editor/media/", data={"csrf_token": token, "images": (image, "red.png")}
    )
    assert response.status_code in (200, 302), response.text[:2000]
    page = signed_in.get("/editor/media/").text
    cell = re.search(r'<td class="media-address">(.*?)</td>', page, re.DOTALL)
    assert cell and re.search(
        r'<input id="address-\d+" type="text" readonly value="/media/', cell[1]
    )
    assert "size=" not in cell[1]
    rule = re.search(r"\.media-address input \{([^}]*)\}", css(signed_in, "editor"))
    assert rule and "width: 100%" in rule[1] and "0.9rem" in rule[1]


def test_stylesheets_keep_long_words_and_code_inside_the_page(client):
    """A real browser measures these in tests/browser/test_reading_polish_layout.py."""
    site, editor = css(client), css(client, "editor")
    # A one-word title, name or file name shrinks its column instead of widening the page.
    assert re.search(r"\.posts-table td \{[^}]*overflow-wrap: anywhere", editor)
    # Related posts: three pictures in a row, wider than the article's column.
    assert re.search(r"\.related \{[^}]*max-width: 64rem", site)
    # Code is sized in ems of the prose, and a long line scrolls inside its block.
    assert re.search(r"\.prose pre \{[^}]*overflow-x: auto[^}]*font-size: 0\.85em", site)
    assert re.search(r"\.prose pre code \{ font-size: inherit; \}", site)
