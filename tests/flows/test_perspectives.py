"""Private perspectives over a real database: replacing one person's answers."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from flows import perspectives, review
from flows.templates import builtin_templates
from storage import reviews as store
from storage.models import AnswerSource, Stage

MISS = builtin_templates()["miss"]


def test_a_second_perspective_replaces_only_that_persons_private_answers(
    session: Session,
) -> None:
    r = review.start(
        session=session,
        template=MISS,
        team_id="T1",
        title="Outage",
        channel_id="C1",
        facilitator_id="U0ALICE",
        participant_ids=["U0BOB", "U0CAROL"],
        what_happened="Checkout broke",
        collect_perspectives=True,
    )
    review.mark_posted(r, message_ts="100.1", permalink=None)
    assert r.stage == Stage.PERSPECTIVES
    kw = {"session": session, "review": r, "template": MISS}
    perspectives.record(**kw, user_id="U0BOB", texts={"expected": "Quiet", "actual": "Loud"})
    perspectives.record(**kw, user_id="U0CAROL", texts={"expected": "Calm"})

    deleting: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "answers" in statement and not statement.lstrip().upper().startswith("INSERT"):
            deleting.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert perspectives.record(**kw, user_id="U0BOB", texts={"assumption": "Flag off"}) == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # One statement removes Bob's old answers; nobody's answers are read to find them.
    assert len(deleting) == 1
    assert deleting[0].lstrip().upper().startswith("DELETE")

    kept = {
        (a.author_id, a.question_key, a.text, a.source)
        for a in store.answers(session=session, review_id=r.id)
    }
    assert kept == {
        ("U0ALICE", "actual", "Checkout broke", AnswerSource.MODAL),
        ("U0BOB", "assumption", "Flag off", AnswerSource.PRIVATE),
        ("U0CAROL", "expected", "Calm", AnswerSource.PRIVATE),
    }
