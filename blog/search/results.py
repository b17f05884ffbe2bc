"""Search: the public posts that match a reader's query, best first, matches highlighted.

SQLite: an FTS5 table (posts_search) over each published post's title and body words, kept
in step by triggers on posts (migration c4f2a9d1e7b3), ranked with bm25 (a title word
counts TITLE_WEIGHT times a body word) and highlighted with highlight() and snippet().
PostgreSQL: a generated tsvector column (posts.search_vector) with a GIN index, ranked with
ts_rank_cd and highlighted with ts_headline. Either way the query is parsed first
(blog.search.query), so that the reader's text never reaches the database as syntax.

One statement reads a page (blog.search.statements): a window of matches, ranked, then the shown
posts' cards, titles and snippets, marked (marking splits a post's whole text: only the shown
posts are marked). The work per search is bounded whatever the archive holds:
- the window holds the newest CANDIDATES matches (by id: the most recently written), and the
  count then reads "more than"; the newest matches come off the index in order, cheaply.
  Each costs its score: a hundred is ten pages, more than readers turn;
- and, however old, the newest CANDIDATES title matches: a reader who types an article's
  title finds it whatever newer posts mention its words (ranked like the rest, the title's
  weight puts it high). Neither index keeps title words apart: title matches are found by
  walking the posts that hold the words, newest first, until enough hold them in their
  titles, and scoring and marking the window walk as far. So on SQLite they are looked for
  only when every word scored (below) is in at most COMMON_POSTS posts, and no excluded
  word is common: a title match holds the scored words in its title and no excluded word
  anywhere; everyday words, in more than half the posts, are not looked for at all (that
  walk would cross most of the index). On PostgreSQL a title match holds every word in its
  title (weight A); as the walk reads each post, title matches are looked for only when
  reading every match costs at most about TITLE_READS posts;
- bm25 counts, for each of its terms, every post that holds it; a term in more than
  COMMON_POSTS posts ("the", "said") is left out of the ranking (it still has to match),
  where its weight would be next to nothing and its count the most expensive part. So is
  a term in more than half the posts, whose weight in bm25 is nil, when another term is
  left to rank. A bounded probe finds how common a term is; each process remembers it.

Rebuilding the index and merging it after bulk loads live in blog.search.index.
"""

import re
import time
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from blog.extensions import db
from blog.posts import listings
from blog.posts.listings import Page
from blog.search.query import (
    SearchQuery,
    Term,
    fts5_expression,
    fts5_term,
    fts5_title_expression,
    parse_query,
    tsquery_text,
)
from blog.search.statements import (
    CLOSE,
    OPEN,
    postgresql_page_statement,
    probe_statement,
    sqlite_page_statement,
)

CANDIDATES = 100
COMMON_POSTS = 10_000
# PostgreSQL: about how many matches a search may read to find the title matches among them.
TITLE_READS = 1_000
# The stored or typed text around the marks is escaped before they become <mark> tags, so no
# text is ever taken as HTML.
_MARKERS = re.compile(f"([{OPEN}{CLOSE}])")


def highlighted(marked: str) -> Markup:
    """Return text whose matches are marked with OPEN/CLOSE as escaped HTML with <mark>s."""
    out, inside = [], False
    for part in _MARKERS.split(marked or ""):
        if part == OPEN:
            if not inside:
                out.append("<mark>")
            inside = True
        elif part == CLOSE:
            if inside:
                out.append("</mark>")
            inside = False
        else:
            out.append(str(escape(part)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


@dataclass
class SearchHit:
    post: listings.Card
    title_html: Markup
    snippet_html: Markup


@dataclass
class SearchResults(Page):
    """One page of hits, best first; capped: more than CANDIDATES posts matched.

    extra_titles: how many title matches besides the newest matches were ranked with them.
    """

    query: SearchQuery = field(default_factory=SearchQuery)
    capped: bool = False
    extra_titles: int = 0


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# How common a term is changes slowly: each process remembers it for a while.
COMMON_MEMORY_SECONDS = 600
_common_memory: dict[tuple[str, int, str], tuple[float, bool, bool]] = {}


def _ranked_clauses(query: SearchQuery) -> tuple[list[list[Term]], list[list[Term]]]:
    """Return the query's clauses worth scoring with bm25, and those title matches hold.

    See the module's docstring: a term in more than half the posts weighs nothing, one in
    more than COMMON_POSTS costs too much to count; title matches are looked for only when
    every term scored, and every term excluded, is in neither.
    """
    now, database = time.monotonic(), str(db.engine.url)
    terms = query.terms + query.excluded
    keys = {term: (database, COMMON_POSTS, fts5_term(term)) for term in terms}
    known = {term: _common_memory.get(key) for term, key in keys.items()}
    unknown = [term for term, memory in known.items() if memory is None or memory[0] < now]
    if unknown:
        params = {f"term_{n}": keys[term][2] for n, term in enumerate(unknown)}
        params["common"] = COMMON_POSTS
        beyond = db.session.execute(probe_statement(len(unknown)), params).one()
        if len(_common_memory) > 10_000:
            _common_memory.clear()
        for n, term in enumerate(unknown):
            memory = (
                now + COMMON_MEMORY_SECONDS,
                beyond[2 * n] is not None,
                beyond[2 * n + 1] is not None,
            )
            known[term] = _common_memory[keys[term]] = memory
    common = {term for term, memory in known.items() if memory[1]}
    # In more than half the posts: bm25 floors the term's weight, leaving it next to nothing.
    half = {term for term, memory in known.items() if memory[2]}
    weighty = [clause for clause in query.clauses if not half.intersection(clause)]
    if not weighty:
        return [clause for clause in query.clauses if not common.intersection(clause)], []
    everyday = common | half
    if everyday.intersection(query.excluded) or any(map(everyday.intersection, weighty)):
        return weighty, []
    return weighty, weighty


def _page_rows(query: SearchQuery, offset: int, limit: int):
    """Return the rows of one page: CARD_COLUMNS, title_marked, snippet_marked, matched."""
    params = {
        "window": CANDIDATES + 1,
        "titles": CANDIDATES,
        "limit": limit,
        "offset": offset,
        "now": listings.utcnow(),
    }
    if _is_postgresql():
        params["tsquery"] = tsquery_text(query)
        params["titled"] = tsquery_text(query, weights="A")
        params["title_reads"] = TITLE_READS
        return db.session.execute(postgresql_page_statement(), params).all()
    rare, in_title = _ranked_clauses(query)
    params["match"] = fts5_expression(query)
    if rare:
        params["rare"] = fts5_expression(query, rare)
    if in_title:
        params["titled"] = fts5_title_expression(query, in_title)
        params["marks"] = fts5_expression(query, in_title)
    statement = sqlite_page_statement(scored=bool(rare), titled=bool(in_title))
    return db.session.execute(statement, params).all()


def search_posts(query: str, page: int = 1, per_page: int = 10) -> SearchResults | None:
    """Return one page of the public posts matching a reader's query, best first.

    A query with no words in it gives no results; a page past the last one gives None.
    """
    parsed = parse_query(query)
    if page < 1 or (not parsed and page > 1):
        return None
    if not parsed:
        return SearchResults([], page, per_page, 0, query=parsed)
    offset = (page - 1) * per_page
    if offset >= CANDIDATES:
        return None
    rows = _page_rows(parsed, offset, min(per_page, CANDIDATES - offset))
    if not rows and page > 1:
        return None
    items = [
        SearchHit(
            card, highlighted(row.title_marked or card.title), highlighted(row.snippet_marked)
        )
        for card, row in zip(listings.cards(rows), rows, strict=True)
    ]
    # matched counts the window. With at most CANDIDATES matches, all are among the newest
    # and no title match is looked for: it is their number. Past it, the window holds the
    # newest CANDIDATES + 1 matches, so "more than CANDIDATES" is true, and matched -
    # CANDIDATES - 1 title matches besides; the best CANDIDATES of them all are shown.
    matched = rows[0].matched if rows else 0
    total = min(matched, CANDIDATES)
    return SearchResults(
        items,
        page,
        per_page,
        total,
        query=parsed,
        capped=matched > total,
        extra_titles=max(0, matched - CANDIDATES - 1),
    )
