"""The trash as the post list shows it: restore and delete per row, and Empty trash."""

import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import OldSlug, Post, Revision, post_tags
from tests.helpers import csrf_token, post_form_data

TRASH = "/editor/?status=trash"


class Page(HTMLParser):
    """The forms and links of a page, read as a browser would."""

    def __init__(self, html: str):
        super().__init__()
        self.forms, self.links = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "method": attrs.get("method"), "data": {}}
            )
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["data"][attrs["name"]] = attrs.get("value", "")
        elif tag == "a":
            self.links.append(attrs.get("href"))

    def form(self, action_start: str) -> dict:
        """Return the one POST form whose action starts so."""
        found = [
            f for f in self.forms if f["method"] == "post" and f["action"].startswith(action_start)
        ]
        assert len(found) == 1, (action_start, self.forms)
        return found[0]

    def link(self, start: str) -> str:
        found = [href for href in self.links if href and href.startswith(start)]
        assert len(found) == 1, (start, self.links)
        return found[0]


def submit(client, url: str, action_start: str):
    """Open the page at url and submit its form, as a browser does when its button is pressed."""
    form = Page(client.get(url).text).form(action_start)
    return client.post(form["action"], data=form["data"])


@pytest.fixture
def write(signed_in, category_id):
    """Save the post form like a browser; return the post's id."""

    def save(post_id=None, **fields):
        url = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        response = signed_in.post(url, data=post_form_data(signed_in, url, category_id, **fields))
        assert response.status_code == 302, response.text[:2000]
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    return save


@pytest.fixture
def trash(signed_in):
    def move(post_id):
        url = f"/editor/posts/{post_id}/trash"
        assert (
            signed_in.post(url, data={"csrf_token": csrf_token(signed_in, url)}).status
            == "302 FOUND"
        )

    return move


def statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Post.title, Post.status)).all())


def test_restore_from_the_trash_list(app, signed_in, write, trash):
    trash(write(title="Come back", status="publish"))
    trash(write(title="Stay away"))
    page = signed_in.get(TRASH).text
    assert page.count(">Restore<") == 2
    response = submit(signed_in, TRASH, f"/editor/posts/{1}/untrash")
    assert response.status_code == 302 and response.headers["Location"] == TRASH
    assert statuses(app) == {"Come back": "draft", "Stay away": "trash"}
    after = signed_in.get(TRASH).text
    assert "“Come back” restored as a draft." in after and "Stay away" in after
    # A restored post is a draft: readers still cannot see it.
    assert signed_in.get("/posts/come-back").status_code == 404


def test_delete_one_from_the_trash_list_asks_first(app, signed_in, write, trash):
    trash(write(title="Gone soon"))
    trash(write(title="Kept in the trash"))
    confirm_url = Page(signed_in.get(TRASH).text).link("/editor/posts/1/delete")
    confirm = signed_in.get(confirm_url)
    assert "Delete “Gone soon” for good?" in confirm.text
    # Looking asks; Cancel leads back to the list it came from.
    assert statuses(app)["Gone soon"] == "trash"
    assert f'href="{TRASH}">Cancel' in confirm.text
    response = submit(signed_in, confirm_url, "/editor/posts/1/delete")
    assert response.status_code == 302 and response.headers["Location"] == TRASH
    assert statuses(app) == {"Kept in the trash": "trash"}
    assert "Post deleted for good." in signed_in.get(TRASH).text


def png() -> bytes:
    data = BytesIO()
    Image.new("RGB", (40, 30), "red").save(data, "PNG")
    return data.getvalue()


@pytest.fixture
def full_trash(app, signed_in, write, trash):
    """Seven trashed posts with revisions, tags, an old slug and an image; two posts kept."""
    signed_in.post(
        "/editor/media/",
        data={
            "csrf_token": csrf_token(signed_in, "/editor/media/"),
            "images": [(BytesIO(png()), "red.png")],
        },
        content_type="multipart/form-data",
    )
    keeper = write(title="Keeper", status="publish", tags="shared, kept", body="Zebrafish keep.")
    write(keeper, title="Keeper", status="publish", tags="shared, kept", body="Zebrafish stay.")
    draft = write(title="Draft kept", body="A draft.")
    doomed = []
    for n in range(7):
        post_id = write(
            title=f"Doomed {n}", status="publish", tags="shared, doomed", body=f"Xylophone {n}."
        )
        doomed.append(post_id)
    # An old address, a revision, and the only use of the image.
    write(
        doomed[0],
        title="Doomed 0",
        slug="doomed-renamed",
        status="publish",
        body="Xylophone.",
        tags="shared",
        image_id=1,
        image_alt="Red",
    )
    for post_id in doomed:
        trash(post_id)
    return {"keeper": keeper, "draft": draft, "doomed": doomed}


def test_empty_trash_deletes_every_trashed_post_and_nothing_else(app, signed_in, full_trash):
    keeper = full_trash["keeper"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OldSlug)) == 1
        revisions_before = db.session.scalar(
            select(func.count()).select_from(Revision).where(Revision.post_id == keeper)
        )
    assert re.search(
        r"1 post\s+· <a[^>]+>Why it cannot be deleted", signed_in.get("/editor/media/").text
    )

    link = Page(signed_in.get(TRASH).text).link("/editor/trash/empty")
    confirm = signed_in.get(link)
    assert confirm.status_code == 200
    assert "Delete the 7 posts in the trash for good?" in confirm.text
    assert confirm.text.count("<li>Doomed ") == 5 and "and 2 more" in confirm.text
    assert statuses(app)["Doomed 3"] == "trash"  # looking deletes nothing

    stamp = Path(app.config["PAGE_CACHE_STAMP"])
    stamp.unlink(missing_ok=True)
    response = submit(signed_in, link, "/editor/trash/empty")
    assert response.status_code == 302 and response.headers["Location"] == TRASH
    after = signed_in.get(TRASH).text
    assert "7 posts deleted for good." in after
    assert "The trash is empty." in after and "Empty trash" not in after
    assert statuses(app) == {"Keeper": "published", "Draft kept": "draft"}
    # The cache learns that content changed, as after any other deletion.
    assert stamp.exists()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OldSlug)) == 0
        assert db.session.scalar(select(func.count()).select_from(Revision)) == revisions_before
        assert set(db.session.scalars(select(Revision.post_id))) == {keeper}
        assert set(db.session.execute(select(post_tags.c.post_id)).scalars()) == {keeper}
    # The image only a deleted post used is free to delete now.
    assert "Not used · " in signed_in.get("/editor/media/").text

    public = app.test_client()
    assert public.get("/posts/doomed-renamed").status_code == 404
    assert public.get("/posts/doomed-0").status_code == 404
    assert public.get("/posts/doomed-3").status_code == 404
    assert "Xylophone" not in public.get("/search?q=xylophone").text
    assert "Keeper" in public.get("/search?q=zebrafish").text
    assert "Keeper" in public.get("/tag/shared").text
    assert "Doomed" not in public.get("/").text and "Keeper" in public.get("/").text


def test_a_get_never_empties_the_trash(app, signed_in, full_trash):
    for url in ["/editor/trash/empty", "/editor/trash/empty?count=7"]:
        page = signed_in.get(url)
        assert page.status_code == 200 and "Delete the 7 posts" in page.text
    assert list(statuses(app).values()).count("trash") == 7


def test_empty_trash_without_a_csrf_token_deletes_nothing(app, signed_in, full_trash):
    response = signed_in.post("/editor/trash/empty", data={"count": "7"})
    assert response.status_code == 400
    assert list(statuses(app).values()).count("trash") == 7
    response = signed_in.post("/editor/trash/empty", data={"count": "7", "csrf_token": "forged"})
    assert response.status_code == 400
    assert list(statuses(app).values()).count("trash") == 7


def test_a_trash_that_changed_since_the_confirmation_is_not_emptied(
    app, signed_in, full_trash, trash
):
    form = Page(signed_in.get("/editor/trash/empty").text).form("/editor/trash/empty")
    trash(full_trash["draft"])  # in another tab, after the page said "7"
    response = signed_in.post(form["action"], data=form["data"])
    assert response.status_code == 409
    assert "The trash changed" in response.text
    assert "Delete the 8 posts in the trash for good?" in response.text
    assert list(statuses(app).values()).count("trash") == 8


def test_an_empty_trash_says_so(app, signed_in, write, category_id):
    write(title="Just a draft")
    page = signed_in.get(TRASH).text
    assert "The trash is empty." in page
    assert "/editor/trash/empty" not in page
    confirm = signed_in.get("/editor/trash/empty").text
    assert "The trash is empty" in confirm and 'action="/editor/trash/empty"' not in confirm
    # The other lists keep their own wording.
    assert "The trash is empty." not in signed_in.get("/editor/?status=scheduled").text


def test_the_post_status_line_separates_its_links(signed_in, write):
    post_id = write(title="Out there", status="publish")
    page = signed_in.get(f"/editor/posts/{post_id}").text
    assert "View post</a> ·" in page


def test_categories_show_the_add_form_first_as_tags_do(signed_in):
    for url, add, listing in [
        ("/editor/categories/", "Add a category", "All categories"),
        ("/editor/tags/", "Add a tag", "All tags"),
    ]:
        page = signed_in.get(url).text
        assert page.index(add) < page.index(listing), url
