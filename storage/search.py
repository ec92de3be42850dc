"""Full-text search over past reviews: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank_cd).

The index itself is kept by triggers (storage/migrations/versions/0003_search.py); this module
only reads it. A query is read as plain words: whatever the person typed, only `\\w+` runs of it
reach the database, quoted for FTS5 and joined by us, so no FTS or SQL syntax ever gets through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, column, func, literal_column
from sqlalchemy import table as sql_table
from sqlmodel import Session, col, select

from storage.lessons import lessons_of
from storage.models import Review
from storage.visibility import visible_to

MAX_WORDS = 12
MAX_WORD_LENGTH = 64
# Prefix-matching a very short last word would touch most of the index.
MIN_PREFIX_LENGTH = 3
WINDOW_FACTOR = 20

_WORD = re.compile(r"\w+")
# Dropped from a query that has other words: they match nearly every review, so they only
# cost time (PostgreSQL's english configuration drops them too).
STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be but by for from had has have in is it its of on or our so that "
        "the their then there this to was we were when with",
    )
)


@dataclass(frozen=True)
class SearchHit:
    """One matching review, as `/aar search` shows it; higher `rank` is a better match."""

    review_id: int
    title: str
    lesson: str | None
    created: date
    channel_id: str
    permalink: str | None
    rank: float


def words(query: str) -> list[str]:
    """The distinct words of a query, in order, at most MAX_WORDS of them."""
    seen = list(dict.fromkeys(w[:MAX_WORD_LENGTH].lower() for w in _WORD.findall(query)))
    content = [w for w in seen if w not in STOPWORDS]
    return (content or seen)[:MAX_WORDS]


def fts5_query(terms: list[str], *, any_word: bool = False) -> str:
    """An FTS5 MATCH expression: each word a quoted string, the last one also a prefix."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    if terms and len(terms[-1]) >= MIN_PREFIX_LENGTH:
        quoted[-1] += "*"
    return (" OR " if any_word else " AND ").join(quoted)


def tsquery(terms: list[str], *, any_word: bool = False) -> str:
    """A to_tsquery expression; `\\w+` words hold no tsquery operators, so they are safe bare."""
    parts = list(terms)
    if parts and len(parts[-1]) >= MIN_PREFIX_LENGTH:
        parts[-1] += ":*"
    return (" | " if any_word else " & ").join(parts)


# bm25 is lower-is-better; the title counts four times as much as the body. Ranking inside the
# FTS table first and joining only the best :window rows halves the time of a common word;
# when fewer than :limit of those pass the filters, ranked() asks again without the window.
# The index tables are kept by triggers, not models: only the columns read are named here.
_FTS = sql_table("reviews_fts", column("rowid", Integer))
_FTS_TABLE = literal_column("reviews_fts")  # FTS5's hidden column named after its table
_DOCUMENTS = sql_table("review_search", column("review_id", Integer), column("document"))
_OWN_PARAMS = frozenset({"q", "team", "limit", "window"})


def _sqlite_search(where: ColumnElement[bool]) -> Select[Any]:
    score = func.bm25(_FTS_TABLE, 4.0, 1.0).label("score")
    best = (
        select(_FTS.c.rowid, score)
        .where(_FTS_TABLE.op("MATCH")(bindparam("q")))
        .order_by(score)
        .limit(bindparam("window", type_=Integer))
        .subquery("f")
    )
    rank = (-best.c.score).label("rank")
    return (
        select(col(Review.id), rank)
        .select_from(best)
        .join(Review, col(Review.id) == best.c.rowid)
        .where(Review.team_id == bindparam("team"), where)
        .order_by(rank.desc(), col(Review.id).desc())
        .limit(bindparam("limit", type_=Integer))
    )


def _postgres_search(where: ColumnElement[bool]) -> Select[Any]:
    query = func.to_tsquery(literal_column("'english'::regconfig"), bindparam("q"))
    rank = func.ts_rank_cd(_DOCUMENTS.c.document, query).label("rank")
    return (
        select(col(Review.id), rank)
        .select_from(_DOCUMENTS)
        .join(Review, col(Review.id) == _DOCUMENTS.c.review_id)
        .where(_DOCUMENTS.c.document.op("@@")(query), Review.team_id == bindparam("team"), where)
        .order_by(rank.desc(), col(Review.id).desc())
        .limit(bindparam("limit", type_=Integer))
    )


def search_reviews(
    *, session: Session, team_id: str, query: str, viewer_id: str, is_lead: bool, limit: int = 10
) -> list[SearchHit]:
    """The team's reviews best matching the words of `query` that this person may see."""
    terms = words(query)
    if not terms or limit <= 0:
        return []

    def find(*, any_word: bool) -> list[tuple[int, float]]:
        return ranked(
            session=session,
            team_id=team_id,
            terms=terms,
            # Confidential reviews only for leads and the review's own people.
            where=visible_to(viewer_id=viewer_id, is_lead=is_lead),
            limit=limit,
            any_word=any_word,
        )

    found = find(any_word=False)
    if not found and len(terms) > 1:
        found = find(any_word=True)
    return _hits(session, found)


def ranked(
    *,
    session: Session,
    team_id: str,
    terms: list[str],
    where: ColumnElement[bool],
    params: Mapping[str, Any] | None = None,
    limit: int,
    any_word: bool,
) -> list[tuple[int, float]]:
    """(review id, rank) of the team's reviews matching `terms` and `where`, best first.

    `where` is an expression over `Review`; `params` fills any `bindparam` of it left without
    a value. With `any_word` one word is enough, else every word must match.
    """
    params = params or {}
    if not terms or limit <= 0:
        return []
    if _OWN_PARAMS & params.keys():
        raise ValueError(f"reserved parameter names: {sorted(_OWN_PARAMS & params.keys())}")
    windowed = session.get_bind().dialect.name == "sqlite"
    sql = _sqlite_search(where) if windowed else _postgres_search(where)
    query = fts5_query(terms, any_word=any_word) if windowed else tsquery(terms, any_word=any_word)
    bound = {**params, "q": query, "team": team_id, "limit": limit}
    bound["window"] = limit * WINDOW_FACTOR
    rows = session.connection().execute(sql, bound).all()
    if len(rows) < limit and windowed:
        # The window is over every workspace's matches: a small team beside a big one, or a
        # viewer who may see few of them, can lose all its own to it. Every match, then.
        bound["window"] = -1
        rows = session.connection().execute(sql, bound).all()
    return [(int(review_id), float(rank)) for review_id, rank in rows]


def _hits(session: Session, ranked: list[tuple[int, float]]) -> list[SearchHit]:
    ids = [review_id for review_id, _ in ranked]
    if not ids:
        return []
    reviews = {r.id: r for r in session.exec(select(Review).where(col(Review.id).in_(ids)))}
    lessons = lessons_of(session=session, review_ids=ids)
    return [
        SearchHit(
            review_id=review_id,
            title=reviews[review_id].title,
            lesson=lessons.get(review_id),
            created=reviews[review_id].created_at.date(),
            channel_id=reviews[review_id].channel_id,
            permalink=reviews[review_id].permalink,
            rank=rank,
        )
        for review_id, rank in ranked
        if review_id in reviews
    ]
