"""Pages in search: the published pages (About, Contact ...) whose words match a query.

A site has tens of pages, not the thousands of posts the index is for: their words are read
once per content change (memo_by_stamp) and matched here by the rules a post is matched by
(blog.search.query): every clause, none of the excluded terms, phrases in order, word*
prefixes, capitals and accents ignored. They are shown apart from the posts, marked as pages.
"""

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.models import Page
from blog.pages import public_pages
from blog.paths import script_root
from blog.posts.status import Status
from blog.render import search_text
from blog.search.query import WORD, SearchQuery, Term

# Bounds the memory and the work per search whatever a site holds; pages past it (by id)
# are left out of search, never out of the site.
MAX_PAGES = 1_000
SHOWN = 5
SUMMARY_WORDS = 30


@dataclass(frozen=True)
class PageHit:
    title: str
    url: str
    summary: str


@dataclass(frozen=True)
class _Words:
    hit: PageHit
    title: tuple[str, ...]
    text: tuple[str, ...]  # title and body


def _fold(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" are one word, as in the index."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(_fold(text)))


def _searchable() -> list[_Words]:
    def load():
        links = public_pages()
        rows = db.session.execute(
            select(Page.id, Page.title, Page.body_html, Page.seo_description)
            .where(Page.status == Status.PUBLISHED)
            .order_by(Page.id)
            .limit(MAX_PAGES)
        )
        found = []
        for id_, title, body_html, description in rows:
            if id_ not in links:
                continue
            text = search_text(body_html)
            summary = description.strip() or " ".join(text.split()[:SUMMARY_WORDS])
            if not description.strip() and len(text.split()) > SUMMARY_WORDS:
                summary += "…"
            hit = PageHit(title, links[id_].url, summary)
            found.append(_Words(hit, _words(title), _words(f"{title} {text}")))
        return found

    return memo_by_stamp(f"searchable_pages:{script_root()}", load)


def _holds(words: tuple[str, ...], term: Term) -> bool:
    wanted = [_fold(word) for word in term.words]
    *lead, last = wanted
    size = len(wanted)
    for start in range(len(words) - size + 1):
        end = words[start + size - 1]
        if list(words[start : start + size - 1]) == lead and (
            end.startswith(last) if term.prefix else end == last
        ):
            return True
    return False


def search_pages(query: SearchQuery) -> list[PageHit]:
    """Return the published pages matching a parsed query: titles that match first."""
    if not query:
        return []
    ranked = []
    for page in _searchable():
        if any(_holds(page.text, term) for term in query.excluded):
            continue
        if not all(any(_holds(page.text, term) for term in clause) for clause in query.clauses):
            continue
        in_title = sum(any(_holds(page.title, term) for term in clause) for clause in query.clauses)
        ranked.append((-in_title, page.hit.title.casefold(), page.hit))
    ranked.sort(key=lambda item: item[:2])
    return [hit for _, _, hit in ranked[:SHOWN]]
