"""Search: the public posts that match a reader's query, best first, matches highlighted.

SQLite: an FTS5 table (posts_search) over each published post's title and body words, kept
in step by triggers on posts (migration c4f2a9d1e7b3), ranked with bm25 (a title word
counts TITLE_WEIGHT times a body word) and highlighted with highlight() and snippet().
PostgreSQL: a generated tsvector column (posts.search_vector) with a GIN index, ranked with
ts_rank_cd and highlighted with ts_headline. Either way the query is parsed first
(blog.search_query), so that the reader's text never reaches the database as syntax.

One statement reads a page: the matches, ranked, then the shown posts' cards, titles and
snippets, marked (marking splits a post's whole text: only the shown posts are marked). The
work per search is bounded whatever the archive holds:
- only the newest CANDIDATES matches (by id: the most recently written) are ranked, and the
  count then reads "more than"; the newest matches come off the index in order, cheaply.
  Each costs its score: a hundred is ten pages, more than readers turn, and on a news site
  the best of the newest hundred are what a reader is after;
- bm25 counts, for each of its terms, every post that holds it; a term in more than
  COMMON_POSTS posts ("the", "said") is left out of the ranking (it still has to match),
  where its weight would be next to nothing and its count the most expensive part. So is
  a term in more than half the posts, whose weight in bm25 is nil, when another term is
  left to rank. A bounded probe finds how common a term is; each process remembers it.

Rebuilding the index and merging it after bulk loads live in blog.search_index.
"""

import re
import time
from dataclasses import dataclass, field
from functools import cache

from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, literal, literal_column, select, table, union_all

from blog import posts
from blog.extensions import db
from blog.models import Post
from blog.posts import CARD_COLUMNS, POSTS, Page
from blog.search_query import (
    SearchQuery,
    Term,
    fts5_expression,
    fts5_term,
    parse_query,
    tsquery_text,
)

CANDIDATES = 100
COMMON_POSTS = 10_000
TITLE_WEIGHT = 10.0
SNIPPET_WORDS = 30
# Private-use characters mark the matches in the database's output; the text around them is
# escaped before they become <mark> tags, so no stored or typed text is ever taken as HTML.
OPEN, CLOSE = "\ue000", "\ue001"
_MARKERS = re.compile(f"([{OPEN}{CLOSE}])")

# SQLite's FTS5 table, as SQLAlchemy sees it: its rowid is the post's id.
_FTS_TABLE = table("posts_search")
_FTS = literal_column("posts_search")
_FTS_ROWID = literal_column("posts_search.rowid")
# PostgreSQL's generated column and text search configuration (see the migration).
_VECTOR = literal_column("posts.search_vector")
_CONFIG = literal_column("'blog_search'::regconfig")
# ts_rank_cd's weights for D, C, B (the body) and A (the title).
_PG_WEIGHTS = literal_column("'{0.1, 0.2, 0.1, 1.0}'::float4[]")
_PG_SNIPPET = (
    f'StartSel="{OPEN}", StopSel="{CLOSE}", MaxWords={SNIPPET_WORDS}, MinWords=12, '
    'ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
)
_PG_TITLE = f'StartSel="{OPEN}", StopSel="{CLOSE}", HighlightAll=true'
# PostgreSQL's parser takes "<b>" for a tag and "&amp;" for an entity, and ts_headline drops
# them: "<" and "&" stand in as private-use characters, as they do in the vector (migration).
_PG_LT, _PG_AMP = "\ue002", "\ue003"


def _pg_headline(column, tsquery, options: str):
    plain = func.translate(column, "<&", _PG_LT + _PG_AMP)
    return func.translate(
        func.ts_headline(_CONFIG, plain, tsquery, options), _PG_LT + _PG_AMP, "<&"
    )


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
    post: posts.Card
    title_html: Markup
    snippet_html: Markup


@dataclass
class SearchResults(Page):
    """One page of hits, best first; capped: more than CANDIDATES posts matched."""

    query: SearchQuery = field(default_factory=SearchQuery)
    capped: bool = False


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _matches(expression):
    return _FTS.op("MATCH")(expression)


# The statements are built once, with parameters: building them anew each time would cost
# more than running them.


@cache
def _probe_statement(count: int):
    """Select, for each of count terms, whether more than COMMON_POSTS, then half, hold it."""
    half = func.min(
        bindparam("common"), select(func.count()).select_from(POSTS).scalar_subquery() // 2
    )
    return select(
        *(
            select(_FTS_ROWID)
            .select_from(_FTS_TABLE)
            .where(_matches(bindparam(f"term_{n}")))
            .order_by(_FTS_ROWID.desc())
            .limit(1)
            .offset(offset)
            .scalar_subquery()
            for n in range(count)
            for offset in (bindparam("common"), half)
        )
    )


@cache
def _sqlite_statement(scored: bool):
    """Select one page of the newest matches, ranked: cards, marked titles and snippets."""
    # The index holds published posts only: those is_public() still hides are the scheduled
    # ones, a short list found through the status and date index.
    not_yet_public = union_all(
        select(Post.id).where(Post.status == "published", Post.published_at > bindparam("now")),
        select(Post.id).where(Post.status == "published", Post.published_at.is_(None)),
    )
    window = (
        select(_FTS_ROWID.label("id"))
        .select_from(_FTS_TABLE)
        .where(_matches(bindparam("match")), _FTS_ROWID.not_in(not_yet_public))
        .order_by(_FTS_ROWID.desc())
        .limit(bindparam("window"))
        .cte("window")
    )
    if scored:
        # The window's posts (and some the common words would leave out), scored for the
        # rare words only, within the window's range of ids.
        scores = (
            select(_FTS_ROWID.label("id"), func.bm25(_FTS, TITLE_WEIGHT, 1.0).label("score"))
            .select_from(_FTS_TABLE)
            .where(
                _matches(bindparam("rare")),
                _FTS_ROWID.between(
                    select(func.min(window.c.id)).scalar_subquery(),
                    select(func.max(window.c.id)).scalar_subquery(),
                ),
            )
            .subquery()
        )
        # bm25 is negative, lower for a better match.
        score = func.coalesce(scores.c.score, 0.0)
        ranked = select(window.c.id, score.label("score")).outerjoin(
            scores, scores.c.id == window.c.id
        )
    else:
        score = literal(0.0)
        ranked = select(window.c.id, score.label("score"))
    shown = (
        ranked.order_by(score, window.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .cte("shown")
    )
    # The shown posts are marked in one pass over their range of ids (the window's matches
    # only): looked up one by one, a prefix's words would be gathered again for each post.
    # The unary + keeps "IN" a filter, not a lookup per id.
    marked = (
        select(
            _FTS_ROWID.label("id"),
            func.highlight(_FTS, 0, OPEN, CLOSE).label("title"),
            func.snippet(_FTS, 1, OPEN, CLOSE, "…", SNIPPET_WORDS).label("snippet"),
        )
        .select_from(_FTS_TABLE)
        .where(
            _matches(bindparam("match")),
            _FTS_ROWID.between(
                select(func.min(shown.c.id)).scalar_subquery(),
                select(func.max(shown.c.id)).scalar_subquery(),
            ),
            literal_column("+posts_search.rowid").in_(select(shown.c.id)),
        )
        .cte("marked")
    )
    return (
        select(
            *CARD_COLUMNS,
            marked.c.title,
            marked.c.snippet,
            select(func.count()).select_from(window).scalar_subquery(),
        )
        .select_from(shown)
        .join(POSTS, POSTS.c.id == shown.c.id)
        .outerjoin(marked, marked.c.id == shown.c.id)
        .order_by(shown.c.score, shown.c.id.desc())
    )


@cache
def _postgresql_statement():
    """Select one page of the newest matches, ranked: cards, marked titles and snippets."""
    tsquery = func.to_tsquery(_CONFIG, bindparam("tsquery"))
    # Ids first, scores after: a score reads the post's whole vector, so only the window's.
    window = (
        select(POSTS.c.id)
        .where(_VECTOR.op("@@")(tsquery), posts.PUBLIC)
        .order_by(POSTS.c.id.desc())
        .limit(bindparam("window"))
        .cte("window")
    )
    score = func.ts_rank_cd(_PG_WEIGHTS, _VECTOR, tsquery, 1)
    shown = (
        select(window.c.id, score.label("score"))
        .join(POSTS, POSTS.c.id == window.c.id)
        .order_by(score.desc(), window.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("shown")
    )
    return (
        select(
            *CARD_COLUMNS,
            _pg_headline(POSTS.c.title, tsquery, _PG_TITLE),
            _pg_headline(POSTS.c.search_text, tsquery, _PG_SNIPPET),
            select(func.count()).select_from(window).scalar_subquery(),
        )
        .join(shown, shown.c.id == POSTS.c.id)
        .order_by(shown.c.score.desc(), shown.c.id.desc())
    )


# How common a term is changes slowly: each process remembers it for a while.
COMMON_MEMORY_SECONDS = 600
_common_memory: dict[tuple[str, int, str], tuple[float, bool, bool]] = {}


def _rare_clauses(query: SearchQuery) -> list[list[Term]]:
    """Return the query's clauses worth scoring with bm25 (see the module's docstring)."""
    now, database = time.monotonic(), str(db.engine.url)
    keys = {term: (database, COMMON_POSTS, fts5_term(term)) for term in query.terms}
    known = {term: _common_memory.get(key) for term, key in keys.items()}
    unknown = [term for term, memory in known.items() if memory is None or memory[0] < now]
    if unknown:
        params = {f"term_{n}": keys[term][2] for n, term in enumerate(unknown)}
        params["common"] = COMMON_POSTS
        beyond = db.session.execute(_probe_statement(len(unknown)), params).one()
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
    return weighty or [clause for clause in query.clauses if not common.intersection(clause)]


def _page_rows(query: SearchQuery, offset: int, limit: int):
    """Return the rows of one page of matches: CARD_COLUMNS, title, snippet, match count."""
    params = {"window": CANDIDATES + 1, "limit": limit, "offset": offset, "now": posts.utcnow()}
    if _is_postgresql():
        params["tsquery"] = tsquery_text(query)
        return db.session.execute(_postgresql_statement(), params).all()
    rare = _rare_clauses(query)
    params["match"] = fts5_expression(query)
    if rare:
        params["rare"] = fts5_expression(query, rare)
    return db.session.execute(_sqlite_statement(bool(rare)), params).all()


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
        SearchHit(card, highlighted(row[-3] or card.title), highlighted(row[-2]))
        for card, row in zip(posts.cards(rows), rows, strict=True)
    ]
    matched = rows[0][-1] if rows else 0
    total = min(matched, CANDIDATES)
    return SearchResults(items, page, per_page, total, query=parsed, capped=matched > total)
