"""The reading design in a real browser, on a site whose posts mostly have pictures.

Saves a screenshot of every public page type at 360, 768 and 1280 px, light and dark (the
folder is printed: look at them), and measures what a reader would notice: the first
headline within the top 300 px of a phone, no sideways scrolling, pictures that reserve
their space, the self-hosted faces in use, whole rows in the grid, no layout shift.
"""

import random
from io import BytesIO

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from blog.demo import create_demo_posts
from blog.extensions import db
from blog.media import save_upload
from blog.models import Category, Post, Tag, User

pytestmark = pytest.mark.browser

WIDTHS = [360, 768, 1280]
SCHEMES = ["light", "dark"]


def _picture(rng: random.Random) -> BytesIO:
    image = Image.new("RGB", (1200, 800), tuple(rng.randrange(40, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(5):
        x, y, r = rng.randrange(1200), rng.randrange(800), rng.randrange(60, 260)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    data = BytesIO()
    image.save(data, "JPEG", quality=70)
    data.seek(0)
    return data


def _fill(app) -> None:
    """Demo posts, four in five with a picture (the demo command makes none)."""
    create_demo_posts(40)
    rng = random.Random(7)
    pool = [save_upload(FileStorage(_picture(rng), filename=f"p{n}.jpg")) for n in range(4)]
    db.session.flush()
    posts = db.session.scalars(select(Post).order_by(Post.published_at.desc())).all()
    for n, post in enumerate(posts):
        if n % 5 != 3:
            post.image_id = pool[n % len(pool)].id
            post.image_alt = "A demo picture"
    db.session.commit()


@pytest.fixture(scope="module")
def site(serve_site):
    """The site's URL and the path of each public page type."""
    holder = {}

    def fill(app):
        _fill(app)
        post = db.session.scalars(
            select(Post).where(Post.status == "published").order_by(Post.published_at.desc())
        ).first()
        holder["paths"] = {
            "home": "/",
            "home-page-2": "/?page=2",
            "story": f"/posts/{post.slug}",
            "category": f"/category/{db.session.scalar(select(Category.slug).limit(1))}",
            "tag": f"/tag/{db.session.scalar(select(Tag.slug).limit(1))}",
            "author": f"/author/{db.session.scalar(select(User.username).limit(1))}",
            "search": "/search?q=energy",
            "archives": "/archive/",
            "not-found": "/posts/no-such-story",
        }

    url = serve_site(fill)
    return url, holder["paths"]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("design-screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


MEASURE = """async () => {
  await document.fonts.ready;
  // Lazy pictures: scroll through the page so each one loads before measuring.
  for (let y = 0; y < document.body.scrollHeight; y += innerHeight) {
    scrollTo(0, y); await new Promise(r => setTimeout(r, 30));
  }
  scrollTo(0, 0);
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(r => { img.onload = img.onerror = r; })));
  const headline = document.querySelector('main .card-title, main h1:not(.visually-hidden)');
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5
                  && !el.closest('.site-nav ul, .scroll, pre'))
    .slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className);
  const rows = [...document.querySelectorAll('.grid')].map(grid => {
    const tops = {};
    for (const card of grid.children) {
      const box = card.getBoundingClientRect();
      (tops[Math.round(box.top)] ||= []).push(Math.round(box.height));
    }
    return Object.values(tops);
  });
  return {
    headlineTop: headline ? headline.getBoundingClientRect().top : null,
    scrollWidth: document.documentElement.scrollWidth,
    wide,
    images: [...document.images].map(img => ({
      src: img.getAttribute('src'), width: img.getAttribute('width'),
      height: img.getAttribute('height'), srcset: img.getAttribute('srcset'),
      shown: img.naturalWidth > 0,
    })),
    serif: document.fonts.check('700 20px "Source Serif 4"')
           && [...document.fonts].some(f => f.family.includes('Source Serif 4')
                                             && f.status === 'loaded'),
    sans: [...document.fonts].some(f => f.family.includes('Source Sans 3')
                                         && f.status === 'loaded'),
    headlineFont: headline ? getComputedStyle(headline).fontFamily : '',
    gridRows: rows,
    background: getComputedStyle(document.body).backgroundColor,
  };
}"""


PAGE_TYPES = [
    "home",
    "home-page-2",
    "story",
    "category",
    "tag",
    "author",
    "search",
    "archives",
    "not-found",
]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_design(open_page, site, shots, name, width, scheme):
    url, paths = site
    page = open_page(width=width, height=740 if width == 360 else 900, color_scheme=scheme)
    response = page.goto(url + paths[name])
    assert response.status == (404 if name == "not-found" else 200)
    found = page.evaluate(MEASURE)
    page.screenshot(path=shots / f"{name}-{width}-{scheme}.png", full_page=True)

    assert found["scrollWidth"] <= width, f"{found['scrollWidth']} px wide: {found['wide']}"
    assert not found["wide"], found["wide"]
    for img in found["images"]:
        assert img["width"] and img["height"], f"no size reserved: {img['src']}"
        assert img["srcset"], f"no smaller copies: {img['src']}"
        assert img["shown"], f"not shown: {img['src']}"
    assert found["serif"], "Source Serif 4 was not loaded"
    assert found["sans"], "Source Sans 3 was not loaded"
    assert found["headlineFont"].startswith('"Source Serif 4"'), found["headlineFont"]
    dark = sum(map(int, found["background"][4:-1].split(",")[:3])) < 150
    assert dark == (scheme == "dark"), found["background"]
    if width == 360 and name in ("home", "story", "category", "tag", "author"):
        assert found["headlineTop"] is not None and found["headlineTop"] < 300, found
    for rows in found["gridRows"]:
        # Cards in a row share one height: a picture card is never beside a shorter one.
        for heights in rows:
            assert max(heights) - min(heights) <= 1, rows
        # And no grid of the front page ends with a row less full than the others.
        if name == "home" and len(rows) > 1:
            assert len({len(heights) for heights in rows}) == 1, rows


def test_front_page_shows_one_lead_with_its_picture(open_page, site):
    url, _ = site
    page = open_page(width=1280)
    page.goto(url + "/")
    lead, beside = page.evaluate(
        """() => [document.querySelector('.lead img').getBoundingClientRect().width,
                  [...document.querySelectorAll('.beside img')]
                    .map(img => img.getBoundingClientRect().width)]"""
    )
    # The largest picture on the page, at least twice any beside it.
    assert lead > 600 and all(lead >= 2 * other for other in beside), (lead, beside)


def test_related_posts_sit_three_in_a_row_and_one_column_on_phones(open_page, site):
    url, paths = site
    for width, columns in ((1280, 3), (360, 1)):
        page = open_page(width=width)
        page.goto(url + paths["story"])
        lefts = page.evaluate(
            """() => [...document.querySelectorAll('.related .card')]
                .map(card => Math.round(card.getBoundingClientRect().left))"""
        )
        assert len(lefts) == 3 and len(set(lefts)) == columns, (width, lefts)


def test_no_layout_shift_while_the_front_page_loads(open_page, site):
    url, _ = site
    page = open_page(width=360, height=740)
    page.add_init_script(
        """window.__shift = 0;
        new PerformanceObserver(list => {
          for (const entry of list.getEntries()) {
            if (!entry.hadRecentInput) window.__shift += entry.value;
          }
        }).observe({type: 'layout-shift', buffered: true});"""
    )
    page.goto(url + "/")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)
    # Fallback fonts scaled to the faces' metrics: the swap moves (almost) nothing.
    assert page.evaluate("window.__shift") < 0.005


def test_masthead_is_one_compact_row_with_a_search_link(open_page, site):
    url, _ = site
    page = open_page(width=360, height=740)
    page.goto(url + "/")
    bar, nav, strip = page.evaluate(
        """() => [document.querySelector('.masthead-bar').getBoundingClientRect().height,
                  document.querySelector('.site-nav').getBoundingClientRect().height,
                  (ul => [ul.scrollWidth, ul.clientWidth])(
                    document.querySelector('.site-nav ul'))]"""
    )
    assert bar <= 56 and nav <= 48, (bar, nav)
    # One line of sections that scrolls sideways rather than wrapping.
    assert strip[0] > strip[1]
    search = page.get_by_role("banner").get_by_role("link", name="Search")
    assert search.locator(".search-icon").is_visible()
    search.click()
    assert page.url.endswith("/search")
    assert page.get_by_role("searchbox").is_visible()


@pytest.fixture(scope="module")
def axe():
    return Axe()


# Every rule axe runs by default, and WCAG 2.2's target size (24 px), which Lighthouse checks.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_no_accessibility_violation_of_any_impact(open_page, site, axe, name, width, scheme):
    url, paths = site
    page = open_page(width=width, color_scheme=scheme)
    page.goto(url + paths[name])
    page.evaluate("document.fonts.ready")
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
    ]


@pytest.mark.parametrize("name", ["home", "story", "category"])
def test_first_view_weighs_under_120_kb_before_pictures(open_page, site, name):
    url, paths = site
    page = open_page(width=1280)
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url + paths[name])
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(200)
    weight = {}
    for request in finished:
        sizes = request.sizes()
        kind = request.resource_type
        weight[kind] = (
            weight.get(kind, 0) + sizes["responseBodySize"] + sizes["responseHeadersSize"]
        )
    first_view = sum(weight.get(kind, 0) for kind in ("document", "stylesheet", "font"))
    assert weight.get("font") and first_view < 120 * 1024, weight
    # Nothing but this site's own: no script at all, no other origin.
    assert all(r.url.startswith(url) for r in finished), [r.url for r in finished]
    assert "script" not in weight, weight
