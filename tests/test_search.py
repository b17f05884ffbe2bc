"""Search: ranking, highlighting, hostile queries, and an index that follows every change."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from blog.accounts import ensure_editor_account
from blog.extensions import db
from blog.models import Category, Post, Revision, utcnow
from blog.posts.editing import (
    PostInput,
    move_to_trash,
    restore_from_trash,
    restore_revision,
    save_post,
)
from blog.search import results as search
from blog.search.query import fts5_expression, fts5_title_expression, parse_query, tsquery_text

UTC = ZoneInfo("UTC")


def found(client, query: str, **args) -> list[str]:
    """Return the titles (their text, marks removed) on a search page, in order."""
    response = client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200, response.text
    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">(.*?)</a></h2>', response.text)
    return [re.sub(r"</?mark>", "", title) for title in titles]


def search_titles(app, query: str) -> list[str]:
    with app.app_context():
        results = search.search_posts(query)
        return [hit.post.title for hit in results.items]


# Reading the query


@pytest.mark.parametrize(
    ("typed", "expression"),
    [
        ("climate energy", '"climate" AND "energy"'),
        ('"clean energy" prices', '"clean energy" AND "prices"'),
        ("elect*", '"elect"*'),
        ("a*", '"a"'),
        ("energy -coal -gas", '("energy") NOT ("coal" OR "gas")'),
        ("-coal", '"coal"'),
        ("tennis OR cycling news", '("tennis" OR "cycling") AND "news"'),
        ("OR NOT", '"OR" AND "NOT"'),
        ("energy OR", '"energy" AND "OR"'),
        ("energy OR -coal", '("energy" AND "OR") NOT "coal"'),
        ("NEAR(a b) title:x", '"NEAR a" AND "b" AND "title x"'),
        ('"unbalanced quote', '"unbalanced" AND "quote"'),
        ("well-known", '"well known"'),
        ("Café", '"Café"'),
        ("\x00\u202enull", '"null"'),
    ],
)
def test_queries_become_quoted_words(typed, expression):
    assert fts5_expression(parse_query(typed)) == expression


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "-", "*", '"', "()", "😀", "^:"])
def test_queries_without_words_are_empty(typed):
    assert not parse_query(typed)


def test_postgresql_query_text_quotes_every_word():
    query = parse_query('"clean energy" elect* tennis OR cycling -coal it\'s')
    assert tsquery_text(query) == (
        "(('clean' <-> 'energy')) & (('elect':*)) & (('tennis') | ('cycling'))"
        " & (('it' <-> 's')) & !('coal')"
    )


def test_title_matches_hold_the_words_in_the_title_and_no_excluded_word_anywhere():
    query = parse_query('"clean energy" elect* tennis OR cycling -coal')
    assert fts5_title_expression(query, query.clauses[:2]) == (
        '{title} : ("clean energy" AND "elect"*) NOT "coal"'
    )
    assert tsquery_text(query, weights="A") == (
        "(('clean':A <-> 'energy':A)) & (('elect':*A)) & (('tennis':A) | ('cycling':A)) & !('coal')"
    )


def test_long_queries_are_cut():
    query = parse_query("word " * 1000)
    assert len(query.clauses) == 12


def test_highlighted_escapes_everything_but_the_marks():
    marked = f"a <b>&{search.OPEN}x{search.CLOSE}{search.CLOSE}y{search.OPEN}z"
    assert search.highlighted(marked) == "a &lt;b&gt;&amp;<mark>x</mark>y<mark>z</mark>"


# Ranking and highlighting


def test_title_match_ranks_above_body_match(client, content):
    content.post("A walk by the river", body="Harbour lights came on at dusk.")
    content.post("Harbour lights", body="Nothing else to say.", ago=timedelta(days=3))
    assert found(client, "harbour") == ["Harbour lights", "A walk by the river"]


def test_more_matches_rank_higher(client, content):
    filler = " ".join(f"filler{n}" for n in range(30))
    content.post("Once", body=f"The zebra crossed. {filler}")
    content.post("Thrice", body=f"A zebra, a zebra and a zebra. {filler}", ago=timedelta(days=2))
    assert found(client, "zebra") == ["Thrice", "Once"]


def test_matches_are_marked_and_everything_else_escaped(client, content):
    content.post(
        "Tags like <script> & <b>bold</b> zebra",
        body="Write `<script>alert(1)</script>` to break pages: zebra stripes.",
    )
    response = client.get("/search", query_string={"q": "zebra <b>"})
    page = response.text
    assert response.status_code == 200
    assert "Tags like &lt;script&gt; &amp; &lt;<mark>b</mark>&gt;bold&lt;/" in page
    assert "&gt; <mark>zebra</mark></a></h2>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page and "<b>" not in page
    assert "Search results for “zebra &lt;b&gt;”" in page
    assert 'value="zebra &lt;b&gt;"' in page


def test_diacritics_fold_both_ways(app, content):
    content.post("Le café du coin", body="Un crème brûlée.")
    content.post("Cafe society", body="Creme brulee for everyone.")
    assert sorted(search_titles(app, "cafe")) == ["Cafe society", "Le café du coin"]
    assert sorted(search_titles(app, "CAFÉ")) == ["Cafe society", "Le café du coin"]
    assert sorted(search_titles(app, "brûlée")) == ["Cafe society", "Le café du coin"]


def test_prefix_phrase_exclusion_and_alternatives(app, content):
    content.post("Election night", body="Votes were counted.")
    content.post("Electric buses", body="Clean energy for the city.")
    content.post("Energy clean up", body="The river was cleaned.")
    content.post("Tennis final", body="A long match.")
    assert sorted(search_titles(app, "elect*")) == ["Election night", "Electric buses"]
    assert search_titles(app, '"clean energy"') == ["Electric buses"]
    assert sorted(search_titles(app, "clean energy")) == ["Electric buses", "Energy clean up"]
    assert search_titles(app, "energy -buses") == ["Energy clean up"]
    assert sorted(search_titles(app, "tennis OR election")) == ["Election night", "Tennis final"]


def test_snippet_shows_the_matching_words_in_the_body(client, content):
    words = " ".join(f"word{n}" for n in range(200))
    content.post("Long one", body=f"{words} the hidden needle is here {words}")
    page = client.get("/search", query_string={"q": "needle"}).text
    assert "hidden <mark>needle</mark> is here" in page
    assert "word100 " not in page


HOSTILE = [
    '"',
    "*",
    "-",
    "NEAR(",
    "NEAR(a b, 2)",
    "(((",
    ")",
    "AND",
    "OR NOT",
    "NOT",
    "^",
    ":",
    "title:x",
    "search_text:x",
    "{title}: x",
    '"unbalanced',
    'a"b"c"',
    "\x00",
    "a\x00b",
    "x" * 5000,
    "zebra " * 1000,
    "😀 🚀",
    "שלום עולם",
    "مرحبا",
    "%",
    "_",
    "%_%",
    "'; DROP TABLE posts; --",
    "\\",
    "a**",
    "--a",
    "-*",
    "*a",
    '""',
    "\u202eevil",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "\ue000mark\ue001",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(client, content, query):
    content.post("A zebra", body="Stripes.")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "<h1>" in response.text and "</html>" in response.text
    assert "<script>" not in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=%ED%A0%80",
        "/search?q=%FF%FE",
        "/search?q=zebra&page=abc",
        "/search?q=zebra&page=-1",
        "/search?q=zebra&page=0",
        "/search?q=zebra&page=99999999999999999999999",
        "/search?q=zebra&q=other",
    ],
)
def test_odd_urls_are_never_server_errors(client, content, url):
    content.post("A zebra", body="Stripes.")
    assert client.get(url).status_code in (200, 404)


def test_empty_query_shows_a_helpful_page(client):
    for url in ("/search", "/search?q=", "/search?q=+++"):
        response = client.get(url)
        assert response.status_code == 200
        assert "<h1>Search</h1>" in response.text
        assert "How to search" in response.text
        assert 'name="q"' in response.text


def test_query_without_words_says_so(client):
    response = client.get("/search", query_string={"q": "%%"})
    assert response.status_code == 200
    assert "no words to search for" in response.text


def test_no_match_says_so(client, content):
    content.post("A zebra", body="Stripes.")
    response = client.get("/search", query_string={"q": "giraffe"})
    assert response.status_code == 200
    assert "No published post matches “giraffe”" in response.text


def test_every_page_leads_to_search(client, content):
    # The masthead's search is a link to the search page (no script needed); the search
    # page and the page that was not found hold the box itself.
    slug = content.post("A zebra", body="Stripes.")
    for url in ("/", f"/posts/{slug}", "/archive/", "/search?q=zebra", "/no-such-page"):
        page = client.get(url).text
        assert '<a class="search-link" href="/search">' in page, url
    for url in ("/search?q=zebra", "/no-such-page"):
        page = client.get(url).text
        assert 'role="search"' in page and 'action="/search"' in page and 'name="q"' in page


# Who can be found


def test_only_public_posts_are_found(app, client, content, monkeypatch):
    content.post("Zebra published", body="Stripes.")
    content.post("Zebra draft", status="draft")
    content.post("Zebra trashed", status="trash")
    content.post("Zebra scheduled", published_at=utcnow() + timedelta(hours=2))
    assert found(client, "zebra") == ["Zebra published"]
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: later)
    assert sorted(found(client, "zebra")) == ["Zebra published", "Zebra scheduled"]


# The index follows every change


@pytest.fixture
def editing(app):
    """Save posts the way the editor's views do; yields a save(post_id, **fields) helper."""
    with app.app_context():
        author = ensure_editor_account()
        category = Category(name="News", slug="news")
        db.session.add(category)
        db.session.commit()
        category_id = category.id

        def save(post_id=None, **fields):
            post = None
            if post_id:
                post = db.session.get(Post, post_id, options=[selectinload(Post.tags)])
            data = PostInput(**{"title": "", "body": "", "category_id": category_id, **fields})
            post = save_post(post, data, author, UTC)
            db.session.commit()
            return post.id

        yield save


def test_index_follows_saves_trash_restore_and_delete(app, editing):
    post_id = editing(title="Giraffe news", body="Tall animals.", status="publish")
    assert search_titles(app, "giraffe") == ["Giraffe news"]
    assert search_titles(app, "tall") == ["Giraffe news"]

    editing(post_id, title="Okapi news", body="Shy animals.", status="publish")
    assert search_titles(app, "giraffe") == []
    assert search_titles(app, "tall") == []
    assert search_titles(app, "okapi shy") == ["Okapi news"]

    editing(post_id, title="Okapi news", body="Shy animals.", status="draft")
    assert search_titles(app, "okapi") == []
    editing(post_id, title="Okapi news", body="Shy animals.", status="publish")
    assert search_titles(app, "okapi") == ["Okapi news"]

    with app.app_context():
        move_to_trash(db.session.get(Post, post_id))
        db.session.commit()
    assert search_titles(app, "okapi") == []
    with app.app_context():
        restore_from_trash(db.session.get(Post, post_id))
        db.session.commit()
    assert search_titles(app, "okapi") == []  # back as a draft
    editing(post_id, title="Okapi news", body="Shy animals.", status="publish")
    assert search_titles(app, "okapi") == ["Okapi news"]

    with app.app_context():
        post = db.session.get(Post, post_id)
        first = db.session.scalars(
            select(Revision).where(Revision.post_id == post_id).order_by(Revision.id)
        ).first()
        restore_revision(post, first)
        db.session.commit()
    assert search_titles(app, "giraffe tall") == ["Giraffe news"]
    assert search_titles(app, "okapi") == []

    with app.app_context():
        db.session.delete(db.session.get(Post, post_id))
        db.session.commit()
    assert search_titles(app, "giraffe") == []


def test_scheduled_save_is_found_when_due(app, editing, monkeypatch):
    when = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    editing(title="Future zebra", body="Soon.", status="schedule", publish_at=when)
    assert search_titles(app, "zebra") == []
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: when + timedelta(minutes=1))
    assert search_titles(app, "zebra") == ["Future zebra"]


def test_plain_sql_writes_are_indexed_too(app, content):
    slug = content.post("Walrus", body="Tusks.")
    with app.app_context():
        db.session.execute(
            text("UPDATE posts SET title = 'Narwhal', search_text = 'Horns' WHERE slug = :s"),
            {"s": slug},
        )
        db.session.commit()
    assert search_titles(app, "walrus") == []
    assert search_titles(app, "narwhal horns") == ["Narwhal"]


@pytest.mark.sqlite_only("breaks the FTS5 table; PostgreSQL's index is a generated column")
def test_search_rebuild_command_refreshes_drifted_text(app, runner, content):
    content.post("Walrus", body="Tusks.")
    with app.app_context():
        # Text written around the editor (an old import, a hand edit) drifts from the body.
        db.session.execute(text("UPDATE posts SET search_text = 'stale'"))
        db.session.commit()
    assert search_titles(app, "tusks") == []
    result = runner.invoke(args=["search-rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 published posts" in result.output
    assert search_titles(app, "walrus tusks") == ["Walrus"]


@pytest.mark.sqlite_only("drops the FTS5 index's triggers")
def test_search_rebuild_command_repairs_a_lost_index(app, runner, content):
    content.post("Walrus", body="Tusks.")
    with app.app_context():
        db.session.execute(text("UPDATE posts SET search_text = 'stale'"))
        connection = db.session.connection()
        connection.exec_driver_sql("DROP TRIGGER posts_search_insert")
        connection.exec_driver_sql("INSERT INTO posts_search(posts_search) VALUES ('delete-all')")
        db.session.commit()
    content.post("Beluga", body="White.")
    assert search_titles(app, "walrus") == []
    assert search_titles(app, "beluga") == []

    result = runner.invoke(args=["search-rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 published posts" in result.output
    assert search_titles(app, "walrus tusks") == ["Walrus"]
    assert search_titles(app, "beluga") == ["Beluga"]
    content.post("Orca", body="Black and white.")
    assert search_titles(app, "orca") == ["Orca"]  # the trigger is back


# Pages and bounds


def test_pagination_keeps_the_query(client, content):
    for n in range(12):
        content.post(f"Zebra {n:02d}", body="Stripes.", ago=timedelta(hours=n))
    first = client.get("/search?q=zebra")
    assert "12 posts match. Page 1 of 2." in first.text
    assert 'rel="next" href="/search?q=zebra&amp;page=2"' in first.text
    assert len(found(client, "zebra")) == 10
    second = client.get("/search?q=zebra&page=2")
    assert 'rel="prev" href="/search?q=zebra"' in second.text
    assert len(found(client, "zebra", page=2)) == 2
    assert client.get("/search?q=zebra&page=3").status_code == 404


def test_search_page_query_count_does_not_grow(client, content, count_queries):
    content.post("Zebra one", body="Stripes.")
    search._common_memory.clear()
    _, few = count_queries(lambda: client.get("/search?q=zebra"))
    for n in range(15):
        content.post(f"Zebra {n}", body="Stripes.", tags=["Animals"])
    search._common_memory.clear()
    response, many = count_queries(lambda: client.get("/search?q=zebra"))
    assert response.status_code == 200
    assert len(many) == len(few)


@pytest.mark.sqlite_only("how common a word is matters to bm25 only")
def test_how_common_a_word_is_is_remembered(app, content, count_queries):
    content.post("Zebra one", body="Stripes.")
    with app.app_context():
        search.search_posts("zebra")  # reads the site-wide bylines and categories once
        search._common_memory.clear()
        _, first = count_queries(lambda: search.search_posts("zebra"))
        _, again = count_queries(lambda: search.search_posts("zebra"))
    assert len(again) == len(first) - 1


def test_many_matches_are_capped(client, content, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 5)
    for n in range(8):
        content.post(f"Story {n}", body="The usual words.", ago=timedelta(hours=n))
    page = client.get("/search?q=usual").text
    assert "More than 5 posts match: here are the best of the 5 newest." in page
    assert len(found(client, "usual")) == 5
    assert client.get("/search?q=usual&page=2").status_code == 404


@pytest.mark.sqlite_only("the common-word shortcut is bm25's")
def test_common_words_rank_newest_first_and_rare_words_still_rank(app, content, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 5)
    monkeypatch.setattr(search, "COMMON_POSTS", 3)
    for n in range(8):
        content.post(f"Story {n}", body="The usual words.", ago=timedelta(hours=n))
    content.post("The zebra", body="The usual words, and a zebra.", ago=timedelta(days=9))
    content.post("Zebra again", body="The usual words.", ago=timedelta(days=10))
    with app.app_context():
        results = search.search_posts("usual")
        assert results.capped and results.total == 5
        # "usual" is common: no counting it, the newest matches come first.
        assert [hit.post.title for hit in results.items] == [
            "Zebra again",
            "The zebra",
            "Story 7",
            "Story 6",
            "Story 5",
        ]
        # A common word still has to match, and the rare one ranks.
        zebras = search.search_posts("zebra usual").items
        assert sorted(hit.post.title for hit in zebras) == ["The zebra", "Zebra again"]
