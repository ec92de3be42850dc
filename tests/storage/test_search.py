"""Full-text search: ranking, hostile queries, confidentiality, and an index kept by writes."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from storage import reviews as store
from storage.lessons import save_lesson
from storage.models import AnswerSource, Lesson
from storage.search import ranked, search_reviews

TEAM = "T0001"


def _review(
    session: Session,
    title: str,
    *answers: tuple[str, str],
    confidential: bool = False,
    participants: tuple[str, ...] = (),
    ts: str | None = None,
) -> int:
    review = store.create_review(
        session=session,
        team_id=TEAM,
        template="miss",
        kind="miss",
        title=title,
        channel_id="C0GENERAL",
        facilitator_id="U0ALICE",
        participant_ids=participants,
        confidential=confidential,
    )
    review.permalink = f"https://example.slack.com/archives/C0GENERAL/p{review.id}"
    for n, (key, text) in enumerate(answers):
        store.add_answer(
            session=session,
            review_id=review.id,
            question_key=key,
            author_id="U0ALICE",
            text=text,
            source=AnswerSource.THREAD,
            message_ts=f"{ts or review.id}.{n}",
        )
    session.flush()
    return review.id


def _find(session: Session, query: str, *, viewer: str = "U0ALICE", lead: bool = False):
    return search_reviews(
        session=session, team_id=TEAM, query=query, viewer_id=viewer, is_lead=lead
    )


def _ids(session: Session, query: str, **kwargs) -> list[int]:
    return [hit.review_id for hit in _find(session, query, **kwargs)]


def test_a_review_about_the_word_ranks_above_one_that_mentions_it(session: Session) -> None:
    once = _review(
        session,
        "Checkout outage after Friday deploy",
        ("actual", "The cache warmed slowly and the database was briefly busy."),
        ("lesson", "Deploy on Mondays, with someone watching the graphs."),
    )
    about = _review(
        session,
        "Database failover took an hour",
        ("actual", "The replica was not promoted automatically."),
        ("lesson", "Rehearse the database failover every quarter."),
    )
    _review(session, "Unrelated review", ("actual", "Nothing about that."))
    hits = _find(session, "database")
    assert [hit.review_id for hit in hits] == [about, once]
    assert hits[0].rank > hits[1].rank
    assert hits[0].lesson == "Rehearse the database failover every quarter."
    assert hits[0].channel_id == "C0GENERAL"
    assert hits[0].permalink
    assert hits[0].permalink.endswith(f"p{about}")


def test_words_are_matched_together_case_folded_last_word_as_prefix(
    session: Session,
) -> None:
    handover = _review(session, "Schichtübergabe vergessen", ("actual", "Die Übergabe fehlte."))
    failover = _review(session, "Failover drill", ("actual", "Replica promotion was manual."))
    assert _ids(session, "übergabe") == [handover]
    assert _ids(session, "ÜBERGABE") == [handover]
    assert _ids(session, "failover replica") == [failover]
    assert _ids(session, "replica promot") == [failover]
    # No review has both words: the best single-word matches rather than nothing.
    assert set(_ids(session, "failover übergabe")) == {handover, failover}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "*",
        "OR",
        "AND",
        "NOT",
        "NEAR(",
        "NEAR(database outage, 2)",
        "-",
        ")",
        "(",
        "title:x",
        "body:database",
        "%",
        "_",
        "\\",
        "database'; DROP TABLE reviews; --",
        '"database',
        "data*",
        "^database",
        "database OR outage",
        "Übergabe",
        "🔥🚒",
        "🔥 database",
        "x" * 2_000,
        " ".join(["database"] * 400),
        "",
        "   \t\n ",
        "\x00",
        "database:*",
        "a & b | !c <-> d",
    ],
)
def test_hostile_queries_never_raise_and_read_as_words(session: Session, query: str) -> None:
    review = _review(session, "Database outage", ("actual", "Orders failed for ten minutes."))
    hits = _find(session, query)
    assert all(hit.review_id == review for hit in hits)
    if "database" in query.lower() and "drop" not in query.lower():
        assert [hit.review_id for hit in hits] == [review], query
    assert store.get_review(session=session, review_id=review) is not None


def test_empty_query_and_punctuation_only_find_nothing(session: Session) -> None:
    _review(session, "Database outage")
    assert _find(session, "") == []
    assert _find(session, "  ") == []
    assert _find(session, "*?!\"'") == []


def test_confidential_reviews_show_only_to_participants_and_leads(session: Session) -> None:
    secret = _review(
        session,
        "Payroll export leaked",
        ("actual", "The payroll file went to the wrong bucket."),
        confidential=True,
        participants=("U0BOB",),
    )
    public = _review(session, "Payroll run late", ("actual", "The payroll job started late."))
    assert set(_ids(session, "payroll", viewer="U0BOB")) == {secret, public}
    assert set(_ids(session, "payroll", viewer="U0ALICE")) == {secret, public}  # facilitator
    assert set(_ids(session, "payroll", viewer="U0LEAD", lead=True)) == {secret, public}
    assert _ids(session, "payroll", viewer="U0CAROL") == [public]
    assert _ids(session, "bucket", viewer="U0CAROL") == []


def test_other_teams_and_private_perspectives_are_not_searched(session: Session) -> None:
    review = _review(session, "Queue backlog")
    store.add_answer(
        session=session,
        review_id=review,
        question_key="actual",
        author_id="U0BOB",
        text="I blame the vendor contract",
        source=AnswerSource.PRIVATE,
    )
    session.flush()
    assert _ids(session, "vendor") == []
    assert (
        search_reviews(
            session=session, team_id="T0OTHER", query="queue", viewer_id="U0ALICE", is_lead=True
        )
        == []
    )


def test_editing_deleting_answers_retitling_and_sharing_change_the_results(
    session: Session,
) -> None:
    review = _review(session, "Checkout outage", ("actual", "The certificate expired."), ts="9")
    assert _ids(session, "certificate") == [review]

    answer = store.answer_for_message(session=session, review_id=review, message_ts="9.0")
    assert answer is not None
    answer.text = "The load balancer dropped connections."
    session.flush()
    assert _ids(session, "certificate") == []
    assert _ids(session, "balancer") == [review]

    assert store.delete_answer_for_message(session=session, review_id=review, message_ts="9.0")
    assert _ids(session, "balancer") == []

    store.get_review(session=session, review_id=review).title = "Login outage"
    session.flush()
    assert _ids(session, "checkout") == []
    assert _ids(session, "login") == [review]

    session.add(
        Lesson(review_id=review, text="Renew certificates early", channel_id="C0L", shared_by="U1")
    )
    session.flush()
    hits = _find(session, "renew")
    assert [hit.review_id for hit in hits] == [review]
    assert hits[0].lesson == "Renew certificates early"


def test_the_index_survives_a_commit_and_a_new_session(session: Session) -> None:
    review = _review(session, "Disk filled up", ("actual", "Logs were never rotated."))
    session.commit()
    with Session(session.get_bind()) as fresh:
        assert _ids(fresh, "rotated") == [review]


def test_a_small_workspace_finds_its_review_beside_a_big_one(session: Session) -> None:
    mine = _review(
        session,
        "Weekly report late",
        ("actual", "The export waited on the warehouse; the mail server queued the report."),
    )
    for n in range(30):
        store.create_review(
            session=session,
            team_id="T0BIG",
            template="miss",
            kind="miss",
            title=f"Warehouse warehouse outage {n}",
            channel_id="C0BIG",
            facilitator_id="U0BIG",
        )
    session.flush()
    hits = search_reviews(
        session=session,
        team_id=TEAM,
        query="warehouse",
        viewer_id="U0ALICE",
        is_lead=False,
        limit=1,
    )
    assert [hit.review_id for hit in hits] == [mine]


def test_a_filter_may_not_rebind_the_search_parameters(session: Session) -> None:
    with pytest.raises(ValueError, match="team"):
        ranked(
            session=session,
            team_id=TEAM,
            terms=["outage"],
            where="r.team_id = :team",
            params={"team": "T0OTHER"},
            limit=1,
            any_word=False,
        )


def test_a_hit_shows_the_newest_shared_lesson_else_every_lesson_answer(session: Session) -> None:
    review = _review(
        session,
        "Checkout outage",
        ("lesson", "Deploy on Mondays."),
        ("lesson", "Watch the graphs."),
    )
    [hit] = _find(session, "checkout")
    assert hit.lesson == "Deploy on Mondays. Watch the graphs."
    save_lesson(session=session, review_id=review, channel_id="C0L", text="Mondays", shared_by="U1")
    [hit] = _find(session, "checkout")
    assert hit.lesson == "Mondays"
