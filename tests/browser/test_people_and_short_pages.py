"""In a real browser: the author's photo beside the byline and in the author box, the featured
picture's caption and credit, and short pages whose footer sits at the foot of the window."""

from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from blog.demo import create_demo_posts
from blog.extensions import db
from blog.media import describe_media, save_upload
from blog.models import Page, Post, User

pytestmark = pytest.mark.browser


def _jpeg(width: int, height: int, colour) -> FileStorage:
    data = BytesIO()
    Image.new("RGB", (width, height), colour).save(data, "JPEG")
    data.seek(0)
    return FileStorage(data, filename="picture.jpg")


@pytest.fixture(scope="module")
def site(serve_site):
    """A story with a described featured picture by an author with a (tall) photo; a short
    About page."""
    holder = {}

    def fill(app):
        create_demo_posts(6)
        picture = save_upload(_jpeg(1200, 800, (40, 120, 160)))
        describe_media(picture, "Boats", "Boats wait out the storm.", "Photo: A. Reporter")
        face = save_upload(_jpeg(600, 900, (200, 120, 80)))
        post = db.session.scalars(
            select(Post).where(Post.status == "published").order_by(Post.published_at.desc())
        ).first()
        post.image_id, post.image_alt = picture.id, "Boats at the quay"
        db.session.get(User, post.author_id).photo = face
        db.session.add(
            Page(title="About", slug="about", status="published", body_source="Hi.",
                 body_html="<p>A small newsroom.</p>")
        )  # fmt: skip
        db.session.commit()
        holder["story"] = f"/posts/{post.slug}"

    return serve_site(fill), holder["story"]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_author_photo_is_small_round_and_never_stretched(open_page, site, width):
    url, story = site
    page = open_page(width=width)
    page.goto(url + story)
    photos = page.evaluate(
        """() => [...document.querySelectorAll('img.author-photo')].map(img => {
             const box = img.getBoundingClientRect(), style = getComputedStyle(img);
             return {w: box.width, h: box.height, fit: style.objectFit,
                     round: style.borderRadius, loaded: img.naturalWidth > 0,
                     attrs: [img.getAttribute('width'), img.getAttribute('height')],
                     srcset: img.getAttribute('srcset')};
           })"""
    )
    assert len(photos) == 2  # the byline and the author box
    assert [(p["w"], p["h"]) for p in photos] == [(40, 40), (64, 64)]
    for photo in photos:
        assert photo["fit"] == "cover" and photo["round"] == "50%"
        assert photo["attrs"] == ["600", "900"] and "480w" in photo["srcset"]
    assert photos[0]["loaded"]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_featured_caption_sits_under_the_picture(open_page, site, width):
    url, story = site
    page = open_page(width=width)
    page.goto(url + story)
    picture, caption = page.evaluate(
        """() => ['.featured img', '.featured figcaption'].map(s => {
             const box = document.querySelector(s).getBoundingClientRect();
             return {top: box.top, bottom: box.bottom, left: box.left, width: box.width};
           })"""
    )
    assert 0 <= caption["top"] - picture["bottom"] <= 16
    assert caption["left"] == picture["left"]
    assert caption["width"] <= 680
    text = page.inner_text(".featured figcaption")
    assert text.startswith("Boats wait out the storm.")
    assert text.endswith("PHOTO: A. REPORTER")  # the credit, in small capitals


@pytest.mark.parametrize("path", ["/about/", "/posts/no-such-story", "/search?q=zzzqqq"])
def test_short_pages_have_no_empty_band_and_the_footer_at_the_foot(open_page, site, path):
    url, _ = site
    page = open_page(width=360, height=740)
    page.goto(url + path)
    measured = page.evaluate(
        """() => {
             const main = document.querySelector('main');
             const footer = document.querySelector('.site-footer');
             const last = [...main.querySelectorAll('*')].reduce(
               (bottom, el) => Math.max(bottom, el.getBoundingClientRect().bottom), 0);
             return {last, footerTop: footer.getBoundingClientRect().top,
                     footerBottom: footer.getBoundingClientRect().bottom,
                     height: document.documentElement.scrollHeight, window: innerHeight};
           }"""
    )
    # Nothing below the footer, and no more between the content and the footer than the
    # page's own spacing (the last paragraph's margin, 3 rem of main's padding, 2 rem of the
    # footer's margin: about 100 px), unless the window is taller than both together. Main
    # once took 60 % of the window whatever it held: a 370 px band on the About page.
    assert measured["footerBottom"] == pytest.approx(measured["height"], abs=1)
    assert measured["height"] >= measured["window"]
    gap = measured["footerTop"] - measured["last"]
    assert gap <= 128 + max(0, measured["window"] - measured["height"]), measured
