"""Layout in a real browser: no sideways scrolling on a phone, a dark theme that is dark."""

import re

import pytest

pytestmark = pytest.mark.browser

PAGES = ["/", "post", "category", "/archive/"]


def luminance(css_color: str) -> float:
    """Return the WCAG relative luminance of an rgb()/rgba() computed color."""
    r, g, b = (int(c) / 255 for c in re.findall(r"\d+", css_color)[:3])

    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scroll(open_page, live_site, name, width):
    page = open_page(width=width)
    page.goto(live_site(live_site.resolve(name)))
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert inner_width == width
    if scroll_width > inner_width:
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""
        )
        pytest.fail(f"page is {scroll_width}px wide in a {inner_width}px viewport: {culprits}")


@pytest.mark.parametrize(("scheme", "dark"), [("light", False), ("dark", True)])
def test_body_background_follows_the_color_scheme(open_page, live_site, scheme, dark):
    page = open_page(color_scheme=scheme)
    page.goto(live_site("/"))
    background, text = page.evaluate(
        "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    )
    if dark:
        assert luminance(background) < 0.05, background
        assert luminance(text) > 0.6, text
    else:
        assert luminance(background) > 0.8, background
        assert luminance(text) < 0.05, text


@pytest.mark.parametrize("width", [360, 1280])
def test_content_keeps_its_distance_from_the_masthead(open_page, live_site, width):
    # .wrap once reset main's vertical padding, and the first headline touched the navigation.
    page = open_page(width=width)
    page.goto(live_site(live_site.post_path))
    gap = page.evaluate(
        """document.querySelector('main .post-header').getBoundingClientRect().top
           - document.querySelector('header.masthead').getBoundingClientRect().bottom"""
    )
    assert gap >= 16
