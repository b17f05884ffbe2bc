"""Embeds, private by default: provider addresses and iframes become cards; the CSP frames."""

import pytest

from blog.embeds import PLAYER_ORIGINS, find_embed, iframes_to_cards
from blog.render import render_body
from tests.test_sanitize import CORPUS, assert_harmless

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
NOCOOKIE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("url", "provider", "player"),
    [
        (YOUTUBE, "YouTube", NOCOOKIE),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", "YouTube", NOCOOKIE),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "YouTube", NOCOOKIE),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ?si=abc", "YouTube", NOCOOKIE),
        ("https://vimeo.com/76979871", "Vimeo", "https://player.vimeo.com/video/76979871?dnt=1"),
        (
            "https://twitter.com/jack/status/20",
            "X (Twitter)",
            "https://platform.twitter.com/embed/Tweet.html?id=20&dnt=true",
        ),
        (
            "https://bsky.app/profile/did:plc:abc123/post/3k2a",
            "Bluesky",
            "https://embed.bsky.app/embed/did:plc:abc123/app.bsky.feed.post/3k2a",
        ),
        ("https://bsky.app/profile/someone.bsky.social/post/3k2a", "Bluesky", None),
        ("https://mastodon.social/@Gargron/109", "Mastodon", None),
        (
            "https://soundcloud.com/artist/a-track",
            "SoundCloud",
            "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2Fartist%2Fa-track"
            "&auto_play=false",
        ),
    ],
)
def test_providers(url, provider, player):
    embed = find_embed(url)
    assert embed is not None and (embed.provider, embed.player) == (provider, player)
    if player:
        assert player.startswith(PLAYER_ORIGINS)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/watch?v=dQw4w9WgXcQ",
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",  # only https becomes a card
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/channels/staffpicks",
        'https://www.youtube.com/watch?v=dQw4w9WgXcQ"><script>',
    ],
)
def test_other_addresses_are_no_embed(url):
    assert find_embed(url) is None


def test_an_address_on_a_line_of_its_own_becomes_a_card_that_loads_nothing():
    out = render_body(f"Watch this.\n\n{YOUTUBE}\n\nAnd [this one]({YOUTUBE}).", "markdown")
    assert (
        '<figure class="embed"><figcaption><strong>YouTube</strong> '
        f'<a href="{YOUTUBE}">{YOUTUBE}</a></figcaption>'
        f'<p><a class="embed-play" href="{NOCOOKIE}">Play it here (loads from '
        "www.youtube-nocookie.com)</a></p></figure>"
    ) in out
    assert f'<p>And <a href="{YOUTUBE}">this one</a>.</p>' in out
    assert "<iframe" not in out and "<img" not in out and "<script" not in out
    # Inside a sentence, an address stays a link.
    assert "embed" not in render_body(f"See {YOUTUBE} now.", "markdown")


def test_a_providers_iframe_becomes_its_card_and_any_other_goes():
    source = (
        '<p>Before.</p><iframe width="560" height="315" '
        'src="https://www.youtube.com/embed/dQw4w9WgXcQ?si=x" allowfullscreen></iframe>'
        '<iframe src="https://evil.example/x"></iframe><p>After.</p>'
    )
    out = render_body(source, "html")
    assert f'<a class="embed-play" href="{NOCOOKIE}">' in out
    assert "evil" not in out and "<iframe" not in out
    assert iframes_to_cards("<p>no frames</p>") == "<p>no frames</p>"


def test_the_card_cannot_be_forged_into_a_script():
    out = render_body(
        '<figure class="embed"><a class="embed-play" href="javascript:alert(1)">x</a></figure>',
        "html",
    )
    assert "javascript" not in out


def test_the_csp_frames_the_players_only(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert f"frame-src {' '.join(PLAYER_ORIGINS)};" in policy
    assert "script-src 'self';" in policy


@pytest.mark.parametrize(
    "place",
    [
        "https://www.youtube.com/watch?v={x}",
        "https://vimeo.com/{x}",
        '<iframe src="https://www.youtube.com/embed/{x}"></iframe>',
        "<iframe src='{x}'></iframe>",
    ],
)
def test_the_xss_corpus_stays_dead_through_the_embed_rules(place):
    for entry in CORPUS:
        for body_format in ("markdown", "html"):
            assert_harmless(render_body(place.replace("{x}", entry["input"]), body_format))


def test_after_a_save_the_editor_is_told_what_the_sanitizer_removed(signed_in, category_id):
    from tests.helpers import post_form_data

    body = (
        '<p onclick="steal()">Hello<script>alert(1)</script></p>'
        '<iframe src="https://tracker.example/frame"></iframe>'
        '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>'
    )
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Dirty", body=body, body_format="html"
    )
    page = signed_in.post("/editor/posts/new", data=data, follow_redirects=True).text
    assert "Draft saved." in page
    assert "Left out of what readers see: " in page
    assert "the onclick attribute on &lt;p&gt;: event handlers never run" in page
    assert "&lt;script&gt;: scripts never run in a post" in page
    assert "&lt;iframe&gt; from tracker.example: only YouTube" in page
    assert "youtube" not in page.split("Left out of what readers see:")[1].split("</p>")[0]
    # Text as typed, clean Markdown: only the usual message.
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Clean",
        body="| a | b |\n|--:|:-:|\n| 1 | 2 |\n\nhttps://vimeo.com/76979871",
    )  # fmt: skip
    page = signed_in.post("/editor/posts/new", data=data, follow_redirects=True).text
    assert "Draft saved." in page and "Left out" not in page


def test_markdown_table_alignment_is_kept_as_align():
    out = render_body("| a | b |\n|--:|:-:|\n| 1 | 2 |", "markdown")
    assert '<th align="right">a</th><th align="center">b</th>' in out


def test_video_and_audio_are_kept_with_controls_and_load_nothing_until_played():
    out = render_body(
        '<video src="https://cdn.example/v.mp4" autoplay preload="auto" poster="https://x/p.jpg"'
        ' onplay="steal()" width="640">Your browser cannot play this.<script>x</script></video>'
        '<audio><source src="javascript:alert(1)"><source src="//elsewhere/a.mp3">'
        '<source src="http://plain.example/a.mp3"><source src="/media/a.mp3" type="audio/mpeg">'
        "</audio>",
        "html",
    )
    assert out == (
        '<video src="https://cdn.example/v.mp4" preload="none" width="640" controls="">'
        '</video><audio controls="" preload="none"><source><source><source>'
        '<source src="/media/a.mp3" type="audio/mpeg"></audio>'
    )
