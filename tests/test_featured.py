"""Featured posts: the editor pins posts and orders them; the home page leads with them."""

import re
from datetime import timedelta

from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, utcnow
from tests.helpers import csrf_token


def post_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Post.id).where(Post.slug == slug))


def home_titles(client) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', client.get("/").text)


def act(client, app, slug: str, action: str, next_url: str = "/editor/?featured=1"):
    token = csrf_token(client, "/editor/")
    return client.post(
        f"/editor/posts/{post_id(app, slug)}/featured",
        data={"csrf_token": token, "change": action, "next": next_url},
    )


def test_an_unpinned_site_leads_with_the_newest_post(client, content):
    for n in range(3):
        content.post(f"Story {n}", ago=timedelta(hours=n))
    assert home_titles(client) == ["Story 0", "Story 1", "Story 2"]


def test_featured_posts_lead_in_the_editors_order_then_the_newest_once(app, signed_in, content):
    slugs = [content.post(f"Story {n}", ago=timedelta(hours=n)) for n in range(5)]
    response = act(signed_in, app, slugs[3], "feature")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/editor/?featured=1")
    act(signed_in, app, slugs[1], "feature")
    assert home_titles(signed_in) == ["Story 3", "Story 1", "Story 0", "Story 2", "Story 4"]
    # Moved up: Story 1 becomes the lead.
    act(signed_in, app, slugs[1], "up")
    assert home_titles(signed_in) == ["Story 1", "Story 3", "Story 0", "Story 2", "Story 4"]
    act(signed_in, app, slugs[1], "down")
    assert home_titles(signed_in)[:2] == ["Story 3", "Story 1"]
    act(signed_in, app, slugs[3], "unfeature")
    assert home_titles(signed_in) == ["Story 1", "Story 0", "Story 2", "Story 3", "Story 4"]


def test_the_lead_shows_to_anonymous_readers_through_the_page_cache(app, client, content, auth):
    slugs = [content.post(f"Story {n}", ago=timedelta(hours=n)) for n in range(3)]
    assert home_titles(client)[0] == "Story 0"  # now in the page cache
    auth.sign_in()
    act(client, app, slugs[2], "feature")
    auth.sign_out()
    assert home_titles(client)[0] == "Story 2"


def test_a_pinned_post_readers_cannot_see_is_left_out_until_it_is_due(app, signed_in, content):
    content.post("Public", ago=timedelta(hours=1))
    draft = content.post("Draft", status="draft")
    later = content.post("Later", published_at=utcnow() + timedelta(days=1))
    act(signed_in, app, draft, "feature")
    act(signed_in, app, later, "feature")
    assert home_titles(signed_in) == ["Public"]


def test_featured_posts_lead_only_the_first_page(app, signed_in, content):
    slugs = [content.post(f"Story {n}", ago=timedelta(hours=n)) for n in range(25)]
    act(signed_in, app, slugs[24], "feature")
    page_two = signed_in.get("/?page=2").text
    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', page_two)
    assert titles[0] != "Story 24"
    assert home_titles(signed_in)[0] == "Story 24"


def test_the_posts_list_shows_and_filters_featured_posts(app, signed_in, content):
    lead = content.post("Lead story")
    content.post("Ordinary story")
    act(signed_in, app, lead, "feature")
    everything = signed_in.get("/editor/").text
    assert '<th scope="col">Featured</th>' in everything
    assert ">Lead</span>" in everything and "Ordinary story" in everything
    only = signed_in.get("/editor/?featured=1").text
    assert "Lead story" in only and "Ordinary story" not in only
    assert 'name="featured" value="1" checked' in only


def test_feature_needs_a_csrf_token(app, signed_in, content):
    slug = content.post("Story")
    response = signed_in.post(
        f"/editor/posts/{post_id(app, slug)}/featured", data={"change": "feature"}
    )
    assert response.status_code in (302, 400)
    assert home_titles(signed_in) == ["Story"]
    assert ">Lead</span>" not in signed_in.get("/editor/").text


def test_feature_is_behind_sign_in(app, client, content):
    slug = content.post("Story")
    response = client.post(
        f"/editor/posts/{post_id(app, slug)}/featured", data={"change": "feature"}
    )
    assert response.status_code in (400, 401)


def test_deleting_a_pinned_post_for_good_unpins_it(app, signed_in, content):
    slug = content.post("Pinned")
    content.post("Other")
    act(signed_in, app, slug, "feature")
    with app.app_context():
        db.session.execute(db.delete(Post).where(Post.slug == slug))
        db.session.commit()
    assert home_titles(signed_in) == ["Other"]


def test_home_query_count_stays_bounded_with_featured_posts(
    app, client, content, count_queries, auth
):
    app.config["PAGE_CACHE"] = False
    slugs = [content.post(f"Story {n}") for n in range(30)]
    auth.sign_in()
    for slug in slugs[::3]:
        act(client, app, slug, "feature")
    auth.sign_out()
    client.get("/")
    response, statements = count_queries(lambda: client.get("/"))
    assert response.status_code == 200
    assert len(statements) <= 1, statements


def test_a_category_leads_with_its_own_featured_posts(app, signed_in, content):
    science = [
        content.post(f"Science {n}", category="Science", ago=timedelta(hours=n)) for n in range(3)
    ]
    world = content.post("World story", category="World News")
    act(signed_in, app, world, "feature")
    act(signed_in, app, science[2], "feature")
    page = signed_in.get("/category/science").text
    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', page)
    assert titles == ["Science 2", "Science 0", "Science 1"]
    assert home_titles(signed_in)[:2] == ["World story", "Science 2"]
