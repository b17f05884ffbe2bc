"""Names that make the same slug: distinct names get distinct addresses, typed slugs are kept."""

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Category, Tag
from tests.helpers import csrf_token, post_form_data

KINDS = {"tag": ("/editor/tags/", Tag), "category": ("/editor/categories/", Category)}


def add(client, kind: str, name: str, slug: str = ""):
    url = KINDS[kind][0]
    return client.post(
        url, data={"csrf_token": csrf_token(client, url), "name": name, "slug": slug}
    )


def slugs(app, kind: str) -> dict[str, str]:
    model = KINDS[kind][1]
    with app.app_context():
        return dict(db.session.execute(select(model.name, model.slug)).all())


@pytest.mark.parametrize("kind", KINDS)
def test_names_with_the_same_slug_get_numbered_addresses(app, signed_in, kind):
    assert add(signed_in, kind, "C++").status_code == 302
    added = add(signed_in, kind, "C#")
    assert added.status_code == 302
    page = signed_in.get(added.location).text
    assert f"“C#” added, at /{kind}/c-2." in page
    assert slugs(app, kind) == {"C++": "c", "C#": "c-2"}
    # Neither has a public post yet: no page (tests/test_public_holes.py).
    assert signed_in.get(f"/{kind}/c-2").status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_name_in_another_case_is_still_refused(app, signed_in, kind):
    add(signed_in, kind, "C++")
    add(signed_in, kind, "Äpfel")
    for typed, existing in [("c++", "C++"), ("ÄPFEL", "Äpfel")]:
        response = add(signed_in, kind, typed)
        assert response.status_code == 422
        assert f"There is already a {kind} called “{existing}”." in response.text
        assert 'id="name-error"' in response.text and f'value="{typed}"' in response.text
    assert set(slugs(app, kind)) == {"C++", "Äpfel"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_typed_slug_that_is_taken_is_refused_beside_the_slug(app, signed_in, kind):
    add(signed_in, kind, "C++")
    response = add(signed_in, kind, "C#", "C")
    assert response.status_code == 422
    error = response.text.split('id="slug-error">')[1].split("</p>")[0]
    assert f"The address /{kind}/c belongs to the {kind} “C++”." in error
    assert 'id="name-error"' not in response.text
    assert 'value="C#"' in response.text and 'value="C"' in response.text
    assert slugs(app, kind) == {"C++": "c"}

    # The same on a rename: nothing changes, and the typed values come back.
    assert add(signed_in, kind, "C#", "csharp").status_code == 302
    with app.app_context():
        model = KINDS[kind][1]
        row_id = db.session.scalar(select(model.id).where(model.slug == "csharp"))
    url = f"{KINDS[kind][0].rstrip('/')}/{row_id}"
    token = csrf_token(signed_in, url)
    renamed = signed_in.post(url, data={"csrf_token": token, "name": "C sharp", "slug": "c"})
    assert renamed.status_code == 422 and 'id="slug-error"' in renamed.text
    assert 'value="C sharp"' in renamed.text and 'value="c"' in renamed.text
    assert slugs(app, kind) == {"C++": "c", "C#": "csharp"}


def test_a_renamed_tag_takes_a_numbered_slug_when_its_name_s_is_taken(app, signed_in):
    add(signed_in, "tag", "C++")
    add(signed_in, "tag", "Rust")
    with app.app_context():
        rust = db.session.scalar(select(Tag.id).where(Tag.slug == "rust"))
    url = f"/editor/tags/{rust}"
    token = csrf_token(signed_in, url)
    response = signed_in.post(url, data={"csrf_token": token, "name": "C#", "slug": "rust"})
    assert response.status_code == 302
    assert slugs(app, "tag") == {"C++": "c", "C#": "c-2"}
    # The old slug is kept, but names nothing while C# has no public post.
    assert signed_in.get("/tag/rust").status_code == 404


def test_the_post_form_files_under_the_tag_of_that_name(app, signed_in, category_id):
    add(signed_in, "tag", "C++")
    add(signed_in, "tag", "C#")
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Pattern matching", tags="C#"
    )
    data["status"] = "publish"
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302
    assert "Pattern matching" in signed_in.get("/tag/c-2").text
    # C++ holds nothing: a 404 (whose page lists the latest stories, this one too).
    assert signed_in.get("/tag/c").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 2


def test_the_post_form_creates_tags_whose_slugs_clash(app, signed_in, category_id):
    """New tags typed in one save: distinct names, distinct tags, each its own address."""
    add(signed_in, "tag", "C++")
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Two languages", tags="C#, c++, C--"
    )
    data["status"] = "publish"
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302
    assert slugs(app, "tag") == {"C++": "c", "C#": "c-2", "C--": "c-3"}
    for slug in ("c", "c-2", "c-3"):
        assert "Two languages" in signed_in.get(f"/tag/{slug}").text
