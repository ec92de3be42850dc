"""Full-text search over past reviews: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank_cd).

The index itself is kept by triggers (storage/migrations/versions/0003_search.py); this module
only reads it. A query is read as plain words: whatever the person typed, only `\\w+` runs of it
reach the database, quoted for FTS5 and joined by us, so no FTS or SQL syntax ever gets through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.models import Answer, AnswerSource, Lesson, Review
from storage.visibility import visible_sql

MAX_WORDS = 12
MAX_WORD_LENGTH = 64
# Prefix-matching a very short last word would touch most of the index.
MIN_PREFIX_LENGTH = 3
LESSON_KEY = "lesson"
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
# when fewer than :limit of those are visible here, _ranked asks again without the window.
# Only our own visibility SQL is formatted into these two; every value is a bound parameter.
_SQLITE_SEARCH = (
    "SELECT r.id, -f.score AS rank FROM"  # noqa: S608
    " (SELECT rowid, bm25(reviews_fts, 4.0, 1.0) AS score FROM reviews_fts"
    "  WHERE reviews_fts MATCH :q ORDER BY score LIMIT :window) AS f"
    " JOIN reviews r ON r.id = f.rowid"
    " WHERE r.team_id = :team"
    # Confidential reviews only for leads and the review's own people.
    f" AND {visible_sql('r')}"
    " ORDER BY rank DESC, r.id DESC LIMIT :limit"
)
_POSTGRES_SEARCH = (
    "SELECT r.id, ts_rank_cd(s.document, q.query) AS rank"  # noqa: S608
    " FROM review_search s JOIN reviews r ON r.id = s.review_id,"
    " to_tsquery('english', :q) AS q(query)"
    " WHERE s.document @@ q.query AND r.team_id = :team"
    # Confidential reviews only for leads and the review's own people.
    f" AND {visible_sql('r')}"
    " ORDER BY rank DESC, r.id DESC LIMIT :limit"
)


def search_reviews(
    *, session: Session, team_id: str, query: str, viewer_id: str, is_lead: bool, limit: int = 10
) -> list[SearchHit]:
    """The team's reviews best matching the words of `query` that this person may see."""
    terms = words(query)
    if not terms or limit <= 0:
        return []
    ranked = _ranked(session, team_id, terms, viewer_id, is_lead, limit, any_word=False)
    if not ranked and len(terms) > 1:
        ranked = _ranked(session, team_id, terms, viewer_id, is_lead, limit, any_word=True)
    return _hits(session, ranked)


def _ranked(
    session: Session,
    team_id: str,
    terms: list[str],
    viewer_id: str,
    is_lead: bool,
    limit: int,
    *,
    any_word: bool,
) -> list[tuple[int, float]]:
    if session.get_bind().dialect.name == "sqlite":
        sql, q = _SQLITE_SEARCH, fts5_query(terms, any_word=any_word)
    else:
        sql, q = _POSTGRES_SEARCH, tsquery(terms, any_word=any_word)
    params = {"q": q, "team": team_id, "viewer": viewer_id, "lead": is_lead, "limit": limit}
    params["window"] = limit * WINDOW_FACTOR
    rows = session.connection().execute(text(sql), params).all()
    if len(rows) < limit and sql is _SQLITE_SEARCH:
        params["window"] = -1  # no limit: every match, for the team or viewer it is rare for
        rows = session.connection().execute(text(sql), params).all()
    return [(int(review_id), float(rank)) for review_id, rank in rows]


def _hits(session: Session, ranked: list[tuple[int, float]]) -> list[SearchHit]:
    ids = [review_id for review_id, _ in ranked]
    if not ids:
        return []
    reviews = {r.id: r for r in session.exec(select(Review).where(col(Review.id).in_(ids)))}
    lessons = _lessons(session, ids)
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


def _lessons(session: Session, ids: list[int]) -> dict[int, str]:
    """The newest shared lesson of each review, else its newest "what we learned" answer."""
    found: dict[int, str] = {}
    answers = session.exec(
        select(Answer)
        .where(
            col(Answer.review_id).in_(ids),
            Answer.question_key == LESSON_KEY,
            Answer.source != AnswerSource.PRIVATE,
        )
        .order_by(col(Answer.created_at), col(Answer.id))
    )
    for answer in answers:
        found[answer.review_id] = answer.text
    shared = session.exec(
        select(Lesson).where(col(Lesson.review_id).in_(ids)).order_by(col(Lesson.shared_at))
    )
    for lesson in shared:
        found[lesson.review_id] = lesson.text
    return found
