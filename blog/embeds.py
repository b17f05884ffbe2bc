"""Embeds, private by default: a provider's URL becomes a card that loads nothing from it.

A YouTube, Vimeo, X/Twitter, Mastodon, Bluesky or SoundCloud address on a line of its own
(Markdown), or the same providers' <iframe> (HTML), becomes a card: the provider's name, the
address as a link, and, where the provider has a player that can be framed, a "Play" link to
it. Nothing is fetched from the provider until the reader follows that link; the site's script
(static/js/embeds.js) then shows the player in a sandboxed frame, and the Content Security
Policy lets frames come from PLAYER_ORIGINS only.
"""

import html
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

# The frame sources the CSP allows (blog/security.py): each player below, and nothing else.
PLAYER_ORIGINS = (
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://platform.twitter.com",
    "https://w.soundcloud.com",
    "https://embed.bsky.app",
)


@dataclass(frozen=True)
class Embed:
    provider: str
    url: str  # the page readers would open at the provider
    player: str | None  # what the card's Play link frames, from PLAYER_ORIGINS; None: a link only


_ID = r"[A-Za-z0-9_-]"
_YOUTUBE = re.compile(
    rf"https://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:[^#\s]*&)?v=|shorts/|embed/)|youtu\.be/)"
    rf"({_ID}{{11}})(?:[?&#][^\s]*)?"
)
_VIMEO = re.compile(r"https://(?:www\.|player\.)?vimeo\.com/(?:video/)?(\d{1,12})(?:[?#/][^\s]*)?")
_TWEET = re.compile(
    r"https://(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w{1,15})/status/(\d{1,20})(?:[?#/][^\s]*)?"
)
_BLUESKY = re.compile(
    r"https://bsky\.app/profile/([\w.:-]{1,253})/post/([a-z0-9]{1,20})(?:[?#][^\s]*)?"
)
_MASTODON = re.compile(r"https://([a-z0-9.-]{1,253}\.[a-z]{2,63})/@(\w{1,64})/(\d{1,20})/?")
_SOUNDCLOUD = re.compile(r"https://(?:www\.|m\.)?soundcloud\.com/[\w-]{1,100}/[\w-]{1,200}/?")
_SOUNDCLOUD_PLAYER = re.compile(r"https://w\.soundcloud\.com/player/\?url=([^&\s]+)[^\s]*")


def find_embed(url: str) -> Embed | None:
    """Return the embed for a provider's address, or None if it is no provider's."""
    url = url.strip()
    if match := _YOUTUBE.fullmatch(url):
        video = match.group(1)
        return Embed(
            "YouTube",
            f"https://www.youtube.com/watch?v={video}",
            f"https://www.youtube-nocookie.com/embed/{video}",
        )
    if match := _VIMEO.fullmatch(url):
        video = match.group(1)
        return Embed(
            "Vimeo", f"https://vimeo.com/{video}", f"https://player.vimeo.com/video/{video}?dnt=1"
        )
    if match := _TWEET.fullmatch(url):
        user, status = match.groups()
        return Embed(
            "X (Twitter)",
            f"https://x.com/{user}/status/{status}",
            f"https://platform.twitter.com/embed/Tweet.html?id={status}&dnt=true",
        )
    if match := _BLUESKY.fullmatch(url):
        actor, post = match.groups()
        # Bluesky's player names the account by its DID; a handle can only be linked to.
        player = (
            f"https://embed.bsky.app/embed/{actor}/app.bsky.feed.post/{post}"
            if actor.startswith("did:plc:")
            else None
        )
        return Embed("Bluesky", f"https://bsky.app/profile/{actor}/post/{post}", player)
    if match := _SOUNDCLOUD_PLAYER.fullmatch(url):
        return find_embed(unquote(match.group(1)))
    if _SOUNDCLOUD.fullmatch(url):
        return Embed(
            "SoundCloud",
            url,
            f"https://w.soundcloud.com/player/?url={quote(url, safe='')}&auto_play=false",
        )
    if match := _MASTODON.fullmatch(url):
        # Any server can be a Mastodon server: its player cannot be in the CSP, only linked.
        host, user, status = match.groups()
        return Embed("Mastodon", f"https://{host}/@{user}/{status}", None)
    return None


def card_html(embed: Embed) -> str:
    """Return the card that stands for an embed: clean HTML, loading nothing from anywhere."""
    e = html.escape
    parts = [
        '<figure class="embed"><figcaption>',
        f"<strong>{e(embed.provider)}</strong> ",
        f'<a href="{e(embed.url)}">{e(embed.url)}</a></figcaption>',
    ]
    if embed.player:
        host = urlsplit(embed.player).hostname or ""
        parts.append(
            f'<p><a class="embed-play" href="{e(embed.player)}">'
            f"Play it here (loads from {e(host)})</a></p>"
        )
    parts.append("</figure>")
    return "".join(parts)


# A provider's <iframe>, as its "share" button gives it; whatever else it holds is dropped.
_IFRAME = re.compile(r"<iframe\b([^>]*)>[^<]{0,1000}</iframe\s*>", re.IGNORECASE)
_SRC = re.compile(r"""\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def iframes_to_cards(raw_html: str) -> str:
    """Replace each provider's <iframe> in editor HTML by its card; leave the others.

    Runs before the sanitizer, which drops every iframe left (and cleans the cards as any
    HTML): this only decides which iframes become cards.
    """
    if "<iframe" not in raw_html.lower():
        return raw_html

    def card(match: re.Match) -> str:
        src = _SRC.search(match.group(1))
        if src is None:
            return match.group(0)
        url = html.unescape(next(group for group in src.groups() if group is not None))
        embed = find_embed(url.replace("http://", "https://", 1))
        return card_html(embed) if embed else match.group(0)

    return _IFRAME.sub(card, raw_html)
