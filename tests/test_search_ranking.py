"""Search: the best matches first on every page, each shown post marked, one statement a page."""

import re
from datetime import timedelta

import pytest

from blog.search import results as search
from blog.search.query import Term, parse_query


def hits(client, query: str, **args) -> list[tuple[str, str]]:
    """Return (title as marked up, snippet as marked up) for each hit on a search page."""
    response = client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200, response.text
    return re.findall(
        r'<h2 class="card-title"><a href="[^"]+">(.*?)</a></h2>.*?<p class="excerpt">(.*?)</p>',
        response.text,
        flags=re.S,
    )


def titles(client, query: str, **args) -> list[str]:
    return [re.sub(r"</?mark>", "", title) for title, _ in hits(client, query, **args)]


def test_the_second_page_goes_on_down_the_ranking(client, content):
    # The older posts have the word in their titles: they rank first, over both pages.
    for n in range(6):
        content.post(f"Heron {n}", body="Grey.", ago=timedelta(days=10 + n))
    for n in range(8):
        content.post(f"Story {n}", body="A heron flew by.", ago=timedelta(hours=n))
    first = titles(client, "heron")
    second = titles(client, "heron", page=2)
    assert sorted(first[:6]) == [f"Heron {n}" for n in range(6)]
    assert sorted(first[6:] + second) == [f"Story {n}" for n in range(8)]


def test_every_shown_post_is_marked_on_every_page(client, content):
    for n in range(14):
        word = "Election" if n % 2 else "Electric"
        content.post(f"{word} story {n}", body=f"Filler words then {word.lower()} news.")
    for page in (1, 2):
        for title, snippet in hits(client, "elect*", page=page):
            assert re.search(r"<mark>Elect(ion|ric)</mark> story", title), title
            assert re.search(r"<mark>elect(ion|ric)</mark> news", snippet), snippet


def test_a_page_is_one_statement_once_its_words_are_known(app, content, count_queries):
    content.post("Zebra one", body="Stripes and more stripes.")
    content.post("Zebra two", body="Stripes.")
    with app.test_request_context("/search"):
        search.search_posts("zebra stripes")  # probes both words, reads the bylines once
        results, statements = count_queries(lambda: search.search_posts("zebra stripes"))
    assert sorted(hit.post.title for hit in results.items) == ["Zebra one", "Zebra two"]
    assert len(statements) == 1


@pytest.mark.sqlite_only("how common a word is matters to bm25 only")
def test_words_in_most_posts_rank_only_when_nothing_else_does(app, content, monkeypatch):
    search._common_memory.clear()
    for n in range(6):
        content.post(f"Story {n}", body="The usual words.", ago=timedelta(hours=n))
    content.post("Usual suspects", body="Nothing else.", ago=timedelta(days=3))
    content.post("A zebra", body="The usual zebra.", ago=timedelta(days=4))
    usual, zebra = Term(("usual",)), Term(("zebra",))
    with app.test_request_context("/search"):
        # In more than half the posts, "usual" weighs nothing next to "zebra".
        assert search._ranked_clauses(parse_query("usual zebra"))[0] == [[zebra]]
        # Alone, it still ranks: its title match comes first, older as it is.
        assert search._ranked_clauses(parse_query("usual"))[0] == [[usual]]
        assert search.search_posts("usual").items[0].post.title == "Usual suspects"
        # In more than COMMON_POSTS, it is too dear to count: the last written come first.
        monkeypatch.setattr(search, "COMMON_POSTS", 3)
        search._common_memory.clear()
        assert search._ranked_clauses(parse_query("usual"))[0] == []
        assert search.search_posts("usual").items[0].post.title == "A zebra"
