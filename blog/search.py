"""Search: the public posts that match a reader's query, best first, matches highlighted.

SQLite: an FTS5 table (posts_search) over each published post's title and body words, kept
in step by triggers on posts (migration c4f2a9d1e7b3), ranked with bm25 (a title word
counts TITLE_WEIGHT times a body word) and highlighted with highlight() and snippet().
PostgreSQL: a generated tsvector column (posts.search_vector) with a GIN index, ranked with
ts_rank_cd and highlighted with ts_headline. Either way the query is parsed first
(blog.search_query), so that the reader's text never reaches the database as syntax.

The work per search is bounded whatever the archive holds:
- only the newest CANDIDATES matches (by id: the most recently written) are ranked, and the
  count then reads "more than"; the newest matches come off the index in order, cheaply;
- bm25 counts, for each of its terms, every post that holds it; a term in more than
  COMMON_POSTS posts ("the", "said") is left out of the ranking (it still has to match),
  where its weight would be next to nothing and its count the most expensive part. Whether
  a term is common is found by a bounded probe and remembered for a while.

Rebuilding the index and merging it after bulk loads live in blog.search_index.
"""

import re
import time
from dataclasses import dataclass, field
from functools import cache

from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, literal_column, select, table, union_all

from blog import posts
from blog.extensions import db
from blog.models import Post
from blog.posts import Page
from blog.search_query import (
    SearchQuery,
    Term,
    fts5_expression,
    fts5_term,
    parse_query,
    tsquery_text,
)

CANDIDATES = 500
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
_PG_UNPLAIN = str.maketrans({_PG_LT: "<", _PG_AMP: "&"})


def _pg_plain(column):
    return func.translate(column, "<&", _PG_LT + _PG_AMP)


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


# The SQLite statements are built once, with parameters: building them anew each time would
# cost more than running them.


@cache
def _probe_statement(count: int):
    """Select, for each of count terms, whether more than COMMON_POSTS posts hold it."""
    return select(
        *(
            select(_FTS_ROWID)
            .select_from(_FTS_TABLE)
            .where(_matches(bindparam(f"term_{n}")))
            .order_by(_FTS_ROWID.desc())
            .limit(1)
            .offset(bindparam("common"))
            .scalar_subquery()
            for n in range(count)
        )
    )


@cache
def _ranking_statement(scored: bool):
    """Select one page of the newest matches, ranked, with the number of matches."""
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
    stmt = select(window.c.id, select(func.count()).select_from(window).scalar_subquery())
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
        stmt = stmt.outerjoin(scores, scores.c.id == window.c.id).order_by(
            func.coalesce(scores.c.score, 0.0)
        )
    return stmt.order_by(window.c.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))


@cache
def _highlight_statement():
    """Select the title and a snippet of some posts, their matches marked."""
    return (
        select(
            _FTS_ROWID,
            func.highlight(_FTS, 0, OPEN, CLOSE),
            func.snippet(_FTS, 1, OPEN, CLOSE, "…", SNIPPET_WORDS),
        )
        .select_from(_FTS_TABLE)
        .where(_matches(bindparam("match")), _FTS_ROWID.in_(bindparam("ids", expanding=True)))
    )


# Whether a term is common changes slowly: each process remembers the answer for a while.
COMMON_MEMORY_SECONDS = 600
_common_memory: dict[tuple[str, int, str], tuple[float, bool]] = {}


def _rare_clauses(query: SearchQuery) -> list[list[Term]]:
    """Return the query's clauses none of whose terms is in more than COMMON_POSTS posts."""
    now, database = time.monotonic(), str(db.engine.url)
    keys = {term: (database, COMMON_POSTS, fts5_term(term)) for term in query.terms}
    common, unknown = set(), []
    for term, key in keys.items():
        remembered = _common_memory.get(key)
        if remembered is None or remembered[0] < now:
            unknown.append(term)
        elif remembered[1]:
            common.add(term)
    if unknown:
        params = {f"term_{n}": keys[term][2] for n, term in enumerate(unknown)}
        params["common"] = COMMON_POSTS
        beyond = db.session.execute(_probe_statement(len(unknown)), params).one()
        if len(_common_memory) > 10_000:
            _common_memory.clear()
        for term, row in zip(unknown, beyond, strict=True):
            _common_memory[keys[term]] = (now + COMMON_MEMORY_SECONDS, row is not None)
            if row is not None:
                common.add(term)
    return [clause for clause in query.clauses if not common.intersection(clause)]


def _sqlite_ranked(query: SearchQuery, offset: int, limit: int) -> tuple[list[int], int]:
    rare = _rare_clauses(query)
    params = {
        "match": fts5_expression(query),
        "now": posts.utcnow(),
        "window": CANDIDATES + 1,
        "limit": limit,
        "offset": offset,
    }
    if rare:
        params["rare"] = fts5_expression(query, rare)
    rows = db.session.execute(_ranking_statement(bool(rare)), params).all()
    return _ids_and_count(rows)


def _postgresql_ranked(query: SearchQuery, offset: int, limit: int) -> tuple[list[int], int]:
    tsquery = func.to_tsquery(_CONFIG, tsquery_text(query))
    # Ids first, scores after: a score reads the post's whole vector, so only the window's.
    window = (
        select(Post.id.label("id"))
        .where(_VECTOR.op("@@")(tsquery), posts.is_public())
        .order_by(Post.id.desc())
        .limit(CANDIDATES + 1)
        .cte("window")
    )
    score = func.ts_rank_cd(_PG_WEIGHTS, _VECTOR, tsquery, 1)
    rows = db.session.execute(
        select(window.c.id, select(func.count()).select_from(window).scalar_subquery())
        .join(Post, Post.id == window.c.id)
        .order_by(score.desc(), window.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return _ids_and_count(rows.all())


def _ids_and_count(rows) -> tuple[list[int], int]:
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def _highlights(query: SearchQuery, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Return id -> (title, snippet) with the matches marked, for these posts."""
    if _is_postgresql():
        tsquery = func.to_tsquery(_CONFIG, tsquery_text(query))
        stmt = select(
            Post.id,
            func.ts_headline(_CONFIG, _pg_plain(Post.title), tsquery, _PG_TITLE),
            func.ts_headline(_CONFIG, _pg_plain(Post.search_text), tsquery, _PG_SNIPPET),
        ).where(Post.id.in_(ids))
        return {
            post_id: (title.translate(_PG_UNPLAIN), snippet.translate(_PG_UNPLAIN))
            for post_id, title, snippet in db.session.execute(stmt)
        }
    params = {"match": fts5_expression(query), "ids": ids}
    rows = db.session.execute(_highlight_statement(), params)
    return {post_id: (title, snippet) for post_id, title, snippet in rows}


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
    ranked = _postgresql_ranked if _is_postgresql() else _sqlite_ranked
    ids, matched = ranked(parsed, offset, min(per_page, CANDIDATES - offset))
    if not ids and page > 1:
        return None
    items = []
    if ids:
        marked = _highlights(parsed, ids)
        # A post deleted since the ranking is left out rather than failing the page.
        for post in posts.cards_by_id(ids):
            title, snippet = marked.get(post.id, (post.title, ""))
            items.append(SearchHit(post, highlighted(title), highlighted(snippet)))
    total = min(matched, CANDIDATES)
    return SearchResults(items, page, per_page, total, query=parsed, capped=matched > total)
