"""The statements behind search (blog.search.results): one reads a page of results, one how common
some words are. Built once, with parameters: building them anew each time would cost more
than running them.

A page's statement takes its window in two parts, each newest first: the newest matches of
the query (one more than it shows, to tell that more match) and the newest title matches
(see blog.search.results for what a title match is, and when it is looked for). Their union is
ranked; the shown posts' cards, marked titles and snippets and the union's size come back.
"""

from functools import cache

from sqlalchemy import (
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    union,
    union_all,
)

from blog.models import Post
from blog.posts import listings
from blog.posts.listings import CARD_COLUMNS, POSTS
from blog.posts.status import Status, scheduled

TITLE_WEIGHT = 10.0
SNIPPET_WORDS = 30
# Private-use characters mark the matches in the database's output (see search.highlighted).
OPEN, CLOSE = "\ue000", "\ue001"

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


def _matches(expression):
    return _FTS.op("MATCH")(expression)


@cache
def probe_statement(count: int):
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


def _page_columns(window, title, snippet):
    """Return a page's columns: CARD_COLUMNS first (listings.cards), then what search adds."""
    return (
        *CARD_COLUMNS,
        title.label("title_marked"),
        snippet.label("snippet_marked"),
        select(func.count()).select_from(window).scalar_subquery().label("matched"),
    )


@cache
def sqlite_page_statement(scored: bool, titled: bool):
    """Select one page of the window's matches, ranked: cards, marked titles and snippets.

    Parameters: match, window (how many of the newest matches), titled and titles (the title
    matches' expression and how many), rare (the expression to score), marks (what to mark
    when the page shows title matches beyond the newest), limit, offset, now.
    """
    # The index holds published posts only: those is_public() still hides are the scheduled
    # ones, a short list found through the status and date index.
    not_yet_public = union_all(
        select(Post.id).where(scheduled(Post.status, Post.published_at, bindparam("now"))),
        select(Post.id).where(Post.status == Status.PUBLISHED, Post.published_at.is_(None)),
    )

    def newest(expression: str, count: str, up_to=None):
        rowid = _FTS_ROWID
        where = [_matches(bindparam(expression)), rowid.not_in(not_yet_public)]
        if up_to is not None:
            where.append(rowid <= up_to)
        return (
            select(rowid.label("id"))
            .select_from(_FTS_TABLE)
            .where(*where)
            .order_by(rowid.desc())
            .limit(bindparam(count))
        )

    window = newest_matches = newest("match", "window").cte("newest")
    if titled:
        # Looked for only when more match than the window holds (else every match is in it),
        # up to the newest match: FTS5 is given that bound, or 0.
        full = func.count() >= bindparam("window")
        up_to = select(case((full, func.max(newest_matches.c.id)), else_=0)).scalar_subquery()
        in_titles = newest("titled", "titles", up_to).subquery("in_titles")
        window = union(select(newest_matches.c.id), select(in_titles.c.id)).cte("window")
    if scored:
        # The window's posts scored for the rare words only, in one pass over the window's
        # range of ids: looked up one by one, each would count its words' posts again. The
        # unary + keeps "IN" a filter, not a lookup per id. Every post in the window holds
        # the rare words (they are some of the query's): each is scored, once.
        ranked = (
            select(_FTS_ROWID.label("id"), func.bm25(_FTS, TITLE_WEIGHT, 1.0).label("score"))
            .select_from(_FTS_TABLE)
            .where(
                _matches(bindparam("rare")),
                _FTS_ROWID.between(
                    select(func.min(window.c.id)).scalar_subquery(),
                    select(func.max(window.c.id)).scalar_subquery(),
                ),
                literal_column("+posts_search.rowid").in_(select(window.c.id)),
            )
            .subquery("scores")
        )
    else:
        ranked = select(window.c.id, literal(0.0).label("score")).subquery("scores")
    # bm25 is negative, lower for a better match.
    shown = (
        select(ranked)
        .order_by(ranked.c.score, ranked.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .cte("shown")
    )
    # The shown posts are marked in one pass over their range of ids, as they are scored.
    # A title match from outside the newest matches may lie far back: the pass then covers
    # the posts in between, and the query's everyday words, in most of them, would cost a
    # walk through most of the index. Their title matches' words are marked instead.
    marks = bindparam("match")
    if titled:
        beyond = select(shown.c.id).where(shown.c.id.not_in(select(newest_matches.c.id)))
        marks = case((beyond.exists(), bindparam("marks")), else_=marks)
    marked = (
        select(
            _FTS_ROWID.label("id"),
            func.highlight(_FTS, 0, OPEN, CLOSE).label("title"),
            func.snippet(_FTS, 1, OPEN, CLOSE, "…", SNIPPET_WORDS).label("snippet"),
        )
        .select_from(_FTS_TABLE)
        .where(
            _matches(marks),
            _FTS_ROWID.between(
                select(func.min(shown.c.id)).scalar_subquery(),
                select(func.max(shown.c.id)).scalar_subquery(),
            ),
            literal_column("+posts_search.rowid").in_(select(shown.c.id)),
        )
        .cte("marked")
    )
    return (
        select(*_page_columns(window, marked.c.title, marked.c.snippet))
        .select_from(shown)
        .join(POSTS, POSTS.c.id == shown.c.id)
        .outerjoin(marked, marked.c.id == shown.c.id)
        .order_by(shown.c.score, shown.c.id.desc())
    )


@cache
def postgresql_page_statement():
    """Select one page of the window's matches, ranked: cards, marked titles and snippets.

    Parameters: tsquery, window, titled (the query in the titles only), titles, title_reads,
    limit, offset, now.
    """
    tsquery = func.to_tsquery(_CONFIG, bindparam("tsquery"))
    titled = func.to_tsquery(_CONFIG, bindparam("titled"))
    # Ids first, scores after: a score reads the post's whole vector, so only the window's.
    newest = (
        select(POSTS.c.id)
        .where(_VECTOR.op("@@")(tsquery), listings.PUBLIC)
        .order_by(POSTS.c.id.desc())
        .limit(bindparam("window"))
        .cte("newest")
    )
    # The index holds no weights: title matches are found by reading every match. They are
    # looked for when more match than the window holds (else every one is in it), and when
    # reading the matches costs at most title_reads reads whatever the plan: the archive is
    # that small, or, going by how far back the window reaches, at most title_reads posts
    # match, and at most 1% of the posts (few enough to be read through the index).
    count = select(func.count()).select_from(newest).scalar_subquery()
    last = select(func.max(POSTS.c.id)).scalar_subquery()
    span = last - select(func.min(newest.c.id)).scalar_subquery() + 1
    reads = bindparam("title_reads")
    worth_reading = and_(
        count >= bindparam("window"),
        or_(last <= reads, and_(count * last <= reads * span, count * 100 <= span)),
    )
    # "id + 0": walking the primary key backwards, as for the newest matches, would read
    # posts until enough titles match, all of them when few do.
    in_titles = (
        select(POSTS.c.id)
        .where(_VECTOR.op("@@")(titled), listings.PUBLIC, worth_reading)
        .order_by((POSTS.c.id + 0).desc())
        .limit(bindparam("titles"))
        .subquery("in_titles")
    )
    window = union(select(newest.c.id), select(in_titles.c.id)).cte("window")
    score = func.ts_rank_cd(_PG_WEIGHTS, _VECTOR, tsquery, 1)
    shown = (
        select(window.c.id, score.label("score"))
        .join(POSTS, POSTS.c.id == window.c.id)
        .order_by(score.desc(), window.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("shown")
    )
    title = _pg_headline(POSTS.c.title, tsquery, _PG_TITLE)
    snippet = _pg_headline(POSTS.c.search_text, tsquery, _PG_SNIPPET)
    return (
        select(*_page_columns(window, title, snippet))
        .join(shown, shown.c.id == POSTS.c.id)
        .order_by(shown.c.score.desc(), shown.c.id.desc())
    )
