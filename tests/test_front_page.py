"""The reading design's pages as HTML: the front page's lead, grid and section blocks, the
story page's standfirst, author box, share links and related cards, the 404 page, the fonts."""

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from blog.extensions import db
from blog.front import arrange_front, initials, standfirst
from blog.models import Media, Post, User

ROOT = Path(__file__).parent.parent


def picture(app, *titles: str) -> None:
    """Give the posts with these titles one featured picture (a row; no file is needed)."""
    with app.app_context():
        media = Media(
            filename="0123456789abcdef01234567.jpg",
            content_type="image/jpeg",
            width=1600,
            height=1000,
            variants="480,960",
        )
        db.session.add(media)
        db.session.flush()
        db.session.execute(
            update(Post).where(Post.title.in_(titles)).values(image_id=media.id, image_alt="A view")
        )
        db.session.commit()


def region(page: str, start: str, end: str = "</div>\n") -> str:
    """Return the HTML from start to the first end after it."""
    assert start in page, start
    return page.split(start, 1)[1].split(end, 1)[0]


def card_titles(html: str) -> list[str]:
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', html)


# The arrangement, on its own


def cards(*pictured: bool):
    return [SimpleNamespace(n=n, image=object() if p else None) for n, p in enumerate(pictured)]


@pytest.mark.parametrize("count", range(0, 24))
def test_the_grid_only_ever_holds_whole_rows(count):
    front = arrange_front(cards(*[True] * count))
    assert len(front.grid) % 4 == 0
    # Nothing is lost or shown twice, and at least two stories sit beside the lead.
    assert len(front.shown) == count
    assert len({id(card) for card in front.shown}) == count
    if count >= 3:
        assert len(front.beside) >= 2


def test_the_lead_is_the_newest_story_with_a_picture():
    items = cards(False, False, True, True, False)
    front = arrange_front(items)
    assert front.lead is items[2]
    # The first story beside the lead shows a picture too, when one is left.
    assert front.beside[0] is items[3]
    assert arrange_front(cards(False, False)).lead.n == 0
    assert arrange_front([]).lead is None


def test_standfirst_is_left_out_when_it_only_repeats_the_body():
    body = "<p>The council met on <em>Tuesday</em> and voted.</p><p>More.</p>"
    assert standfirst("The council met on Tuesday and voted. More.", body) == ""
    assert standfirst("The council met on Tuesday…", body) == ""
    written = "A vote that changes the harbour."
    assert standfirst(written, body) == written
    assert standfirst("", body) == ""


def test_initials():
    assert initials("Amara Okafor") == "AO"
    assert initials("Sofia de la Marín") == "SM"
    assert initials("editor") == "E"
    assert initials("") == "?"


# The front page


def test_front_page_leads_with_a_picture_then_a_grid_of_whole_rows(app, client, content):
    for n in range(10):
        content.post(f"Story {n}", ago=timedelta(hours=n))
    picture(app, "Story 2", "Story 5")
    page = client.get("/").text
    lead = region(page, '<div class="lead">')
    assert card_titles(lead) == ["Story 2"]
    assert 'class="card-image"' in lead and 'fetchpriority="high"' in lead
    assert 'class="excerpt"' in lead and "min read" in lead
    beside = card_titles(region(page, '<div class="beside">', "</div>\n</div>"))
    assert beside[0] == "Story 5" and len(beside) == 5
    grid = card_titles(region(page, '<div class="grid front-grid">'))
    assert grid == ["Story 6", "Story 7", "Story 8", "Story 9"]
    # Every story once, none lost.
    assert sorted(["Story 2", *beside, *grid]) == [f"Story {n}" for n in range(10)]
    # Cards without a picture are typographic cards, not picture cards with a hole.
    assert page.count("card-text") == 8


def test_front_page_has_a_block_per_section_in_menu_order(app, client, content):
    for n in range(10):
        content.post(f"Top {n}", category="Business", ago=timedelta(minutes=n))
    for n in range(6):
        content.post(f"World {n}", category="World News", ago=timedelta(hours=1 + n))
        content.post(f"Old business {n}", category="Business", ago=timedelta(hours=1 + n))
    page = client.get("/").text
    sections = page.split('<div class="front-sections">')[1]
    headings = re.findall(r'<h2 id="section-([^"]+)">', sections)
    assert headings == ["business", "world-news"]  # the menu's order
    business = sections.split('id="section-business"')[1].split("</section>")[0]
    assert 'More in Business <span aria-hidden="true">→</span>' in business
    # Four each, newest first, none of those shown above.
    assert card_titles(business) == [f"Old business {n}" for n in range(4)]
    world = sections.split('id="section-world-news"')[1].split("</section>")[0]
    assert card_titles(world) == [f"World {n}" for n in range(4)]
    assert 'href="/category/world-news"' in world


def test_section_blocks_follow_the_content(app, client, content):
    for n in range(12):
        content.post(f"Story {n}", category="Science", ago=timedelta(hours=n))
    first = client.get("/").text
    assert "Story 10" in first.split('<div class="front-sections">')[1]
    content.post("Fresh", category="Science")
    again = client.get("/").text.split('<div class="front-sections">')[1]
    # Story 9 left page 1 for the section block; kept blocks would have missed that. Three
    # left: two shown, as a block shows 4, 2 or 1 (whole rows at 4 and at 2 columns).
    assert card_titles(again) == ["Story 9", "Story 10"]


def test_page_two_is_a_plain_list(client, content):
    for n in range(14):
        content.post(f"Story {n:02d}", ago=timedelta(hours=n))
    page = client.get("/?page=2").text
    assert '<div class="list">' in page
    assert "front-sections" not in page and 'class="lead"' not in page
    assert card_titles(page) == [f"Story {n:02d}" for n in range(10, 14)]


def test_archive_opens_with_its_newest_story_then_whole_rows(client, content):
    content.author("amara", "Amara Okafor", bio="Writes about trade.")
    for n in range(10):
        content.post(f"Trade {n}", author="amara", ago=timedelta(hours=n))
    page = client.get("/author/amara").text
    assert '<span class="monogram large" aria-hidden="true">AO</span>' in page
    assert '<p class="description">Writes about trade.</p>' in page
    assert card_titles(region(page, '<div class="opener">')) == ["Trade 0"]
    assert len(card_titles(region(page, '<div class="grid">'))) == 8
    assert card_titles(region(page, '<div class="list">')) == ["Trade 9"]


# The story page


def test_story_page_has_standfirst_byline_author_box_and_share_links(app, client, content):
    content.author("amara", "Amara Okafor", bio="Foreign correspondent.")
    slug = content.post("Harbour vote", author="amara", body="The council met on Tuesday.")
    page = client.get(f"/posts/{slug}").text
    # The excerpt was derived from the body: no standfirst that repeats it.
    assert 'class="standfirst"' not in page
    with app.app_context():
        db.session.execute(update(Post).values(excerpt="A vote that changes the harbour."))
        db.session.commit()
    page = client.get(f"/posts/{slug}").text
    assert '<p class="standfirst">A vote that changes the harbour.</p>' in page
    assert '<span class="monogram" aria-hidden="true">AO</span>' in page
    box = region(page, '<section class="author-box"', "</section>")
    assert "Foreign correspondent." in box and 'href="/author/amara"' in box
    share = region(page, '<div class="share">')
    address = f"http%3A//localhost/posts/{slug}"
    assert f"mailto:?subject=Harbour%20vote&amp;body={address}" in share
    assert f"https://www.facebook.com/sharer/sharer.php?u={address}" in share
    # Plain links: no script from anywhere, this site's own included.
    assert "<script src" not in page


def test_related_posts_are_cards_with_pictures_and_authors(app, client, content):
    content.author("sofia", "Sofia Marín")
    slug = content.post("Main", tags=["Energy"])
    for n in range(3):
        content.post(f"Also energy {n}", tags=["Energy"], author="sofia")
    picture(app, "Also energy 1")
    page = client.get(f"/posts/{slug}").text
    related = region(page, 'id="related-heading"', "</aside>")
    assert '<ul class="grid grid-3">' in related and related.count('<li class="card') == 3
    assert sorted(card_titles(related)) == [f"Also energy {n}" for n in range(3)]
    assert related.count('class="card-image"') == 1 and related.count("Sofia Marín") == 3
    assert re.search(r'<img [^>]*width="1600" height="1000"', related)


# The page that was not found, the fonts


def test_not_found_offers_search_and_the_latest_stories(client, content):
    for n in range(6):
        content.post(f"Story {n}", ago=timedelta(hours=n))
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert 'role="search"' in response.text and 'action="/search"' in response.text
    latest = response.text.split('id="latest-heading"')[1]
    assert card_titles(latest) == [f"Story {n}" for n in range(4)]


def test_fonts_are_self_hosted_with_their_licence_and_the_headline_face_preloaded(client):
    page = client.get("/").text
    with client.get(re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]) as sheet:
        css = sheet.text
    faces = re.findall(r"@font-face \{([^}]*)\}", css)
    fetched = [face for face in faces if "url(" in face]
    assert len(fetched) >= 3
    # The others only scale a font already on the reader's computer.
    assert all("src: local(" in face for face in faces if face not in fetched)
    for face in fetched:
        assert "font-display: swap" in face
        [url] = re.findall(r"url\(([^)]+)\)", face)
        assert not url.startswith(("http:", "https:", "//"))
        path = ROOT / "static" / "css" / url
        assert path.suffix == ".woff2" and path.is_file(), url
        assert (path.parent / "OFL.txt").read_text().count("SIL Open Font License") >= 1
    [preload] = re.findall(r'<link rel="preload" href="([^"]+)" as="font"[^>]*crossorigin>', page)
    # The same URL as the stylesheet asks for, or the browser would fetch the font twice.
    assert preload.removeprefix("/static/") in {
        str((Path("css") / url).resolve().relative_to(Path("css").resolve().parent))
        for url in re.findall(r"url\(([^)]+)\)", css)
    }
    with client.get(preload) as font:
        assert font.status_code == 200 and font.data[:4] == b"wOF2"
    assert "@media print" in css
    # No request to any other site: not a font, not a stylesheet, not a script.
    fetched = re.findall(r'<link rel="(?:stylesheet|preload)" href="([^"]+)"', page)
    fetched += re.findall(r'<(?:script|img)[^>]* src="([^"]+)"', page)
    assert fetched and all(url.startswith("/") and not url.startswith("//") for url in fetched)


def test_editor_pages_still_use_the_editor_bar(signed_in):
    page = signed_in.get("/editor/").text
    assert '<header class="editor-bar">' in page and 'class="masthead"' not in page


def test_every_card_image_has_its_size_and_copies(app, client, content):
    for n in range(6):
        content.post(f"Story {n}", category=["Science", "Sport"][n % 2])
    picture(app, *[f"Story {n}" for n in range(6)])
    with app.app_context():
        assert db.session.scalar(select(User.id))
    for path in ("/", "/category/science", "/?page=1&x=1", "/no-such-page"):
        images = re.findall(r"<img [^>]*>", client.get(path).text)
        assert images, path
        for img in images:
            assert re.search(r'width="\d+" height="\d+"', img) and "srcset=" in img, img
