"""Search: a post whose title matches is found however many newer posts mention its words."""

import re
from datetime import timedelta

import pytest

from blog.search import results as search
from blog.search.query import Term, parse_query

TITLE = "Island nations weigh a bold plan for digital privacy"


def found(client, query: str, **args) -> list[str]:
    """Return the titles (their text, marks removed) on a search page, in order."""
    response = client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200, response.text
    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">(.*?)</a></h2>', response.text)
    return [re.sub(r"</?mark>", "", title) for title in titles]


def fillers(content, count: int) -> None:
    """Add posts without the tests' words: the words then stay in fewer than half the posts."""
    for n in range(count):
        content.post(f"Filler {n}", body="Nothing to see here.", ago=timedelta(days=50))


def test_an_old_post_is_found_by_its_title(client, content, monkeypatch, count_queries):
    monkeypatch.setattr(search, "CANDIDATES", 5)
    content.post(TITLE, body="Written long ago.", ago=timedelta(days=3 * 365))
    fillers(content, 14)
    # Written since: more than CANDIDATES posts that hold every word of the title, in the body.
    for n in range(8):
        content.post(f"Story {n}", body=f"Today: {TITLE.lower()}.", ago=timedelta(days=n))
    assert found(client, TITLE)[0] == TITLE
    page = client.get("/search", query_string={"q": TITLE}).text
    assert "<mark>Island</mark>" in page
    assert (
        "More than 5 posts match: here are the best of the 5 newest"
        " and of 1 more whose title matches." in page
    )
    assert len(found(client, TITLE)) == 5
    assert client.get("/search", query_string={"q": TITLE, "page": 2}).status_code == 404
    # Still one statement a page.
    _, statements = count_queries(lambda: client.get("/search", query_string={"q": TITLE}))
    assert len([s for s in statements if "posts_search" in s or "search_vector" in s]) == 1


def test_title_matches_are_paged_marked_and_counted(app, content, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 6)
    for n in range(3):
        content.post(f"Heron watch {n}", body="Grey birds.", ago=timedelta(days=100 + n))
    fillers(content, 14)
    for n in range(10):
        content.post(f"Story {n}", body="A heron flew by.", ago=timedelta(hours=n))
    with app.test_request_context("/search"):
        first = search.search_posts("heron", per_page=4)
        second = search.search_posts("heron", per_page=4, page=2)
        assert search.search_posts("heron", per_page=4, page=3) is None
    # The 7 newest matches and the 3 older title matches are ranked; the best 6 are shown.
    assert (first.total, first.capped, first.extra_titles, first.pages) == (6, True, 3, 2)
    hits = first.items + second.items
    assert sorted(hit.post.title for hit in hits[:3]) == [f"Heron watch {n}" for n in range(3)]
    assert [hit.post.title for hit in hits[3:]] == ["Story 9", "Story 8", "Story 7"]
    for hit in hits[:3]:
        assert "<mark>Heron</mark> watch" in hit.title_html
    for hit in hits[3:]:
        assert "<mark>heron</mark> flew" in hit.snippet_html


def test_title_matches_are_counted_once_when_all_are_shown(client, content):
    content.post("Heron watch", body="Grey birds.", ago=timedelta(days=100))
    fillers(content, 4)
    content.post("Story", body="A heron flew by.")
    assert found(client, "heron") == ["Heron watch", "Story"]
    assert "2 posts match." in client.get("/search?q=heron").text


def test_a_title_match_must_match_the_whole_query(client, content, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    content.post("Heron watch", body="Grey birds by the crane.", ago=timedelta(days=100))
    content.post("Heron tales", body="Grey birds.", ago=timedelta(days=99))
    fillers(content, 10)
    for n in range(4):
        content.post(f"Story {n}", body="A heron flew by the watch tower.")
    assert found(client, "heron watch")[0] == "Heron watch"
    assert "Heron watch" not in found(client, "heron watch -crane")
    assert found(client, "heron -crane")[0] == "Heron tales"
    assert "Heron watch" not in found(client, "heron -crane")


@pytest.mark.sqlite_only("how common a word is matters to bm25 only")
def test_only_the_words_that_weigh_need_be_in_the_title(app, client, content, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    monkeypatch.setattr(search, "COMMON_POSTS", 8)
    search._common_memory.clear()
    content.post("Heron watch", body="Grey birds.", ago=timedelta(days=100))
    for n in range(9):
        content.post(f"Filler {n}", body="The usual words.", ago=timedelta(days=50))
    for n in range(4):
        content.post(f"Story {n}", body="The usual heron.")
    heron = Term(("heron",))
    with app.test_request_context("/search"):
        # "usual", in more than half the posts, weighs nothing and need not be in the title,
        # nor anywhere in a title match: looking for it far back would walk most of the index.
        assert search._ranked_clauses(parse_query("usual heron")) == ([[heron]], [[heron]])
        # Every word common: no title is looked for.
        assert search._ranked_clauses(parse_query("usual")) == ([], [])
        # An excluded word is looked for in every title match: it must not be common either.
        assert search._ranked_clauses(parse_query("heron -usual")) == ([[heron]], [])
    response = client.get("/search", query_string={"q": "usual heron"})
    assert found(client, "usual heron")[0] == "Heron watch"
    assert "<mark>Heron</mark> watch" in response.text
    assert "Heron watch" not in found(client, "usual")
