"""A reader's search box text, read safely and written out for SQLite FTS5 or PostgreSQL.

The text never reaches the database as syntax: it is read here into words, "exact phrases",
word* prefixes, -exclusions and a OR b alternatives, and written back as an expression in
which every word is a quoted string. Nothing a reader types can make that expression fail:
unpaired quotes, brackets, NEAR, column filters and operators are searched for as words or
ignored (punctuation is never part of a word).
"""

import re
import unicodedata
from dataclasses import dataclass, field

# Past these, a query is cut: they bound the work whatever a reader pastes into the box.
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
# A prefix search needs this many letters: "a*" would match most of the archive.
MIN_PREFIX = 2

_CHUNK = re.compile(r'(-?)"([^"]*)"(\*?)|(\S+)')
# Letters and digits in any script; the index splits words at everything else too.
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """One word, or a phrase; prefix means its last word may begin a longer one."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass
class SearchQuery:
    """A parsed query: each clause must match (one of its terms will do), no excluded term may."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.clauses)

    @property
    def terms(self) -> list[Term]:
        """The terms a result matches, in the order they were typed."""
        return [term for clause in self.clauses for term in clause]


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    # Control and format characters (NUL, bidirectional overrides) never belong to a word.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch for ch in text)
    return text[:MAX_QUERY_CHARS]


def parse_query(text: str) -> SearchQuery:
    """Read a reader's query: words, "exact phrases", word* prefixes, -exclusions, a OR b.

    A -word excludes only when there is something else to find; otherwise it is a word to find.
    OR (in capitals, between two terms) offers alternatives; anywhere else it is a word.
    """
    query = SearchQuery()
    negated: list[Term] = []
    pending_or = False
    count = 0
    for match in _CHUNK.finditer(_clean(text)):
        if count >= MAX_TERMS:
            break
        minus, quoted, star, chunk = match.groups()
        if chunk is None:
            words = WORD.findall(quoted)
        elif chunk == "OR" and query.clauses and not pending_or:
            pending_or = True
            continue
        else:
            minus = "-" if chunk.startswith("-") else ""
            star = "*" if chunk.endswith("*") else ""
            words = WORD.findall(chunk)
        if not words:
            continue
        count += 1
        term = Term(tuple(words), prefix=bool(star) and len(words[-1]) >= MIN_PREFIX)
        if pending_or and not minus:
            query.clauses[-1].append(term)
        else:
            if pending_or:  # "a OR -b": that OR was a word
                query.clauses.append([Term(("OR",))])
            if minus:
                negated.append(term)
            else:
                query.clauses.append([term])
        pending_or = False
    if pending_or:
        query.clauses.append([Term(("OR",))])
    if query.clauses:
        query.excluded = negated
    else:
        query.clauses = [[term] for term in negated]
    return query


def fts5_term(term: Term) -> str:
    """Return one term as an FTS5 string (a phrase when it has several words)."""
    phrase = " ".join(word.replace('"', '""') for word in term.words)
    return f'"{phrase}"' + ("*" if term.prefix else "")


def _fts5_either(terms: list[Term]) -> str:
    if len(terms) == 1:
        return fts5_term(terms[0])
    return "(" + " OR ".join(map(fts5_term, terms)) + ")"


def fts5_expression(query: SearchQuery, clauses: list[list[Term]] | None = None) -> str:
    """Return an SQLite FTS5 MATCH expression for the query (or only these of its clauses)."""
    expression = " AND ".join(map(_fts5_either, query.clauses if clauses is None else clauses))
    if query.excluded and clauses is None:
        expression = f"({expression}) NOT {_fts5_either(query.excluded)}"
    return expression


def fts5_title_expression(query: SearchQuery, in_title: list[list[Term]]) -> str:
    """Return an FTS5 expression for the posts whose titles hold these of the query's clauses
    and that hold none of its excluded terms."""
    # The column filter is ours, never the reader's: their words are quoted strings.
    expression = "{title} : (" + " AND ".join(map(_fts5_either, in_title)) + ")"
    if query.excluded:
        expression = f"{expression} NOT {_fts5_either(query.excluded)}"
    return expression


def _ts_term(term: Term, weights: str = "") -> str:
    # Words hold only letters and digits; quoting them anyway keeps any word a plain lexeme.
    lexemes = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in term.words]
    labels = [f":{weights}" if weights else ""] * len(lexemes)
    if term.prefix:
        labels[-1] = f":*{weights}"
    return "(" + " <-> ".join(x + label for x, label in zip(lexemes, labels, strict=True)) + ")"


def tsquery_text(query: SearchQuery, weights: str = "") -> str:
    """Return PostgreSQL to_tsquery() text for the query; its words only of these weights.

    The excluded words are excluded whatever their weight.
    """
    expression = " & ".join(
        "(" + " | ".join(_ts_term(term, weights) for term in clause) + ")"
        for clause in query.clauses
    )
    return expression + "".join(f" & !{_ts_term(term)}" for term in query.excluded)
