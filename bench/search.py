"""Measure `/aar search` over 100,000 reviews: full-text search against a LIKE scan, same data.

Run from anywhere: python bench/search.py [--database-url postgresql+psycopg://…/db]
(default: a temporary SQLite file). Takes one to three minutes, mostly building the data.
The LIKE scan is what search would be without the index: every word must appear somewhere in
the title or an answer, title matches first, then newest, so it has to read every review.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import Answer, Participant, Review  # noqa: E402
from storage.search import search_reviews, words  # noqa: E402

TEAM = "T0001"
NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def _words(text: str) -> list[str]:
    return text.split()


PEOPLE = [f"U0{n:04d}" for n in range(200)]
CHANNELS = [f"C0{n:04d}" for n in range(60)]
SYSTEMS = _words(
    "checkout payments billing invoices search login signup cart catalog inventory shipping "
    "refunds notifications email sms push gateway proxy dns cdn cache redis postgres kafka "
    "queue scheduler cron backup storage bucket cluster kubernetes node pod ingress firewall "
    "vpn ldap sso oauth tokens certificates monitoring alerting pager dashboards logging "
    "metrics tracing deploys pipeline builds releases flags experiments analytics warehouse "
    "etl reports exports imports api mobile android ios web frontend backend replica failover"
)
PROBLEMS = _words(
    "outage latency timeout errors crash leak spike regression misconfiguration expiry "
    "rollback saturation backlog deadlock corruption duplication drift throttling "
    "overload disconnect partition misroute typo permissions quota exhaustion miss "
    "delay handover escalation confusion ownership runbook rehearsal drill"
)
FILLER = _words(
    "the a we our team was were had not did after before during when because so then it "
    "this that on in at for with to of and but again first later nobody someone everyone "
    "expected actually noticed assumed checked forgot missed found changed fixed added "
    "wrote agreed decided learned should could would next time always never early late "
    "friday monday night weekend morning customers users support on-call engineer lead "
    "manual automatic slow quick small large new old same different clear unclear"
)
QUERIES_PER_KIND = 40


def sentence(rng: random.Random, length: int) -> str:
    """Filler with a system or a problem every few words, like real answers."""
    out = []
    for _ in range(length):
        roll = rng.random()
        pool = SYSTEMS if roll < 0.15 else PROBLEMS if roll < 0.25 else FILLER
        out.append(rng.choice(pool))
    return " ".join(out).capitalize() + "."


def build(engine: Engine, count: int, seed: int) -> None:
    """`count` reviews, each with three answers; a fifth are confidential with participants."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        for start in range(0, count, 5_000):
            rows = []
            for n in range(start, min(start + 5_000, count)):
                title = (
                    f"{rng.choice(SYSTEMS).capitalize()} {rng.choice(PROBLEMS)} "
                    f"{rng.choice(FILLER)} {rng.choice(SYSTEMS)}"
                )
                created = NOW - timedelta(minutes=n * 7)
                rows.append(
                    {
                        "team_id": TEAM,
                        "template": "miss",
                        "kind": "miss",
                        "title": title,
                        "stage": "closed",
                        "channel_id": rng.choice(CHANNELS),
                        "message_ts": f"{1_700_000_000 + n}.000100",
                        "permalink": f"https://example.slack.com/archives/C0/p{n}",
                        "facilitator_id": rng.choice(PEOPLE),
                        "confidential": rng.random() < 0.2,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            ids = conn.execute(
                insert(Review).returning(Review.id, sort_by_parameter_order=True), rows
            ).scalars()
            answers, people = [], []
            for review_id, row in zip(ids, rows, strict=True):
                for key, length in (("actual", 25), ("root_cause", 20), ("lesson", 15)):
                    answers.append(
                        {
                            "review_id": review_id,
                            "question_key": key,
                            "author_id": row["facilitator_id"],
                            "text": sentence(rng, rng.randint(length // 2, length)),
                            "source": "thread",
                            "created_at": row["created_at"],
                            "updated_at": row["created_at"],
                        }
                    )
                for user in {row["facilitator_id"], *rng.sample(PEOPLE, 3)}:
                    people.append({"review_id": review_id, "user_id": user, "added_at": NOW})
            conn.execute(insert(Answer), answers)
            conn.execute(insert(Participant), people)


def queries(seed: int) -> list[str]:
    """Searches people would type: a system, a system and a problem, a problem and a prefix."""
    rng = random.Random(seed + 1)
    out = [rng.choice(SYSTEMS) for _ in range(QUERIES_PER_KIND)]
    out += [f"{rng.choice(SYSTEMS)} {rng.choice(PROBLEMS)}" for _ in range(QUERIES_PER_KIND)]
    out += [f"{rng.choice(PROBLEMS)} {rng.choice(SYSTEMS)[:4]}" for _ in range(QUERIES_PER_KIND)]
    rng.shuffle(out)
    return out


_LIKE_WORD = (
    "(r.title LIKE :p OR EXISTS (SELECT 1 FROM answers a WHERE a.review_id = r.id"
    " AND a.text LIKE :p))"
)


def like_search(session: Session, query: str, viewer: str) -> list[int]:
    """The same question answered by scanning with LIKE, ranking title matches first."""
    terms = words(query)
    conditions, params = [], {"team": TEAM, "viewer": viewer}
    for n, term in enumerate(terms):
        params[f"p{n}"] = f"%{term}%"
        conditions.append(_LIKE_WORD.replace(":p", f":p{n}"))
    sql = (
        "SELECT r.id FROM reviews r WHERE r.team_id = :team AND "  # noqa: S608 - bench's own
        + " AND ".join(conditions)
        + " AND (NOT r.confidential OR EXISTS (SELECT 1 FROM participants p"
        " WHERE p.review_id = r.id AND p.user_id = :viewer))"
        " ORDER BY (r.title LIKE :p0) DESC, r.created_at DESC LIMIT 10"
    )
    return list(session.connection().execute(text(sql), params).scalars())


def timed(fn, items: list[str]) -> list[float]:
    """Seconds per call of `fn(item)`."""
    samples = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        samples.append(time.perf_counter() - started)
    return samples


def pct(samples: list[float], p: float) -> float:
    """The p-th percentile in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] * 1000


def main() -> None:
    """Build the data, then time both ways of searching it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--like-queries", type=int, default=30, help="the scan is slow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM reviews")).scalar():
                # Never mix bench rows into a real database, nor delete anything from it.
                sys.exit("bench/search.py needs an empty database: this one has reviews")
        started = time.perf_counter()
        build(engine, args.reviews, args.seed)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(
            f"{engine.dialect.name}: {args.reviews} reviews with {args.reviews * 3} answers "
            f"indexed in {time.perf_counter() - started:.1f} s"
        )
        asked = queries(args.seed)
        viewer = PEOPLE[7]
        with Session(engine) as session:

            def fts(query: str) -> None:
                search_reviews(
                    session=session, team_id=TEAM, query=query, viewer_id=viewer, is_lead=False
                )

            timed(fts, asked[:10])  # warm the caches
            found = sum(
                bool(
                    search_reviews(
                        session=session, team_id=TEAM, query=q, viewer_id=viewer, is_lead=False
                    )
                )
                for q in asked
            )
            full = timed(fts, asked)
            scan = timed(lambda q: like_search(session, q, viewer), asked[: args.like_queries])
        full_p50, full_p95 = pct(full, 0.5), pct(full, 0.95)
        scan_p50, scan_p95 = pct(scan, 0.5), pct(scan, 0.95)
        print(f"queries: {len(asked)} ({found} with matches), e.g. {asked[:3]}")
        print(
            f"full-text search: p50 {full_p50:.2f} ms, p95 {full_p95:.2f} ms "
            f"(mean {statistics.mean(full) * 1000:.2f} ms; target p95 < 30 ms)"
        )
        print(
            f"LIKE '%word%' scan ({len(scan)} queries): p50 {scan_p50:.2f} ms, "
            f"p95 {scan_p95:.2f} ms"
        )
        print(
            f"LIKE / full-text: p50 {scan_p50 / full_p50:.0f}x, p95 {scan_p95 / full_p95:.0f}x "
            "(target >= 10x)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
