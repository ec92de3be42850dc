"""The review's rules over a real database: steering, moving, recording, closing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from flows import actions, review
from flows.nudges import NudgePolicy
from flows.templates import builtin_templates
from storage import reviews as store
from storage.models import Stage

MISS = builtin_templates()["miss"]
SUCCESS = builtin_templates()["success"]
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
BOB = actions.Owner(user_id="U0BOB", is_bot=False, deleted=False, tz="America/New_York")


def _started(session: Session, template=MISS, **kw):
    r = review.start(
        session=session,
        template=template,
        team_id="T1",
        title="Outage",
        channel_id="C1",
        facilitator_id="U0ALICE",
        participant_ids=["U0BOB"],
        **kw,
    )
    review.mark_posted(r, message_ts="100.1", permalink=None)
    return r


def _action(session: Session, r, kind: str = "fix") -> None:
    draft = actions.ActionDraft(
        what="Add a canary stage",
        owner_id="U0BOB",
        review_date=date(2026, 12, 1),
        success_criterion="zero failed deploys in 30 days",
        kind=kind,
    )
    assert actions.validate(draft, BOB, now=NOW) == {}
    actions.add(
        session=session,
        review=r,
        draft=draft,
        owner=BOB,
        created_by="U0ALICE",
        policy=NudgePolicy(),
        now=NOW,
        fallback_tz="UTC",
    )


def test_what_happened_from_the_modal_is_the_first_answer_to_actual(session: Session) -> None:
    r = _started(session, what_happened="Checkout broke at 16:00")
    [answer] = store.answers(session=session, review_id=r.id)
    assert (answer.question_key, answer.text, answer.source) == (
        "actual",
        "Checkout broke at 16:00",
        "modal",
    )


def test_replies_go_to_the_current_question_and_move_with_it(session: Session) -> None:
    r = _started(session)
    review.record_reply(
        session=session, review=r, template=MISS, author_id="U0BOB", text="Up", message_ts="1"
    )
    moved = review.move(
        session=session, review=r, template=MISS, user_id="U0ALICE", leads=(), step=1
    )
    assert moved.closed.key == "expected"
    assert [a.text for a in moved.closed_answers] == ["Up"]
    assert moved.current.key == "actual"
    review.record_reply(
        session=session, review=r, template=MISS, author_id="U0BOB", text="Down", message_ts="2"
    )
    assert {a.question_key for a in store.answers(session=session, review_id=r.id)} == {
        "expected",
        "actual",
    }


def test_only_the_facilitator_or_a_lead_steers(session: Session) -> None:
    r = _started(session)
    with pytest.raises(review.ReviewError, match="facilitator"):
        review.move(session=session, review=r, template=MISS, user_id="U0BOB", leads=(), step=1)
    review.move(session=session, review=r, template=MISS, user_id="U0BOB", leads=("U0BOB",), step=1)
    assert r.question_index == 1


def test_moving_stops_at_both_ends(session: Session) -> None:
    r = _started(session)
    with pytest.raises(review.ReviewError, match="first question"):
        review.move(session=session, review=r, template=MISS, user_id="U0ALICE", leads=(), step=-1)
    for _ in range(len(MISS.questions) - 1):
        review.move(session=session, review=r, template=MISS, user_id="U0ALICE", leads=(), step=1)
    assert r.stage == Stage.DISCUSSION  # the lesson question comes after the actions
    with pytest.raises(review.ReviewError, match="last question"):
        review.move(session=session, review=r, template=MISS, user_id="U0ALICE", leads=(), step=1)


def test_the_actions_question_puts_the_review_in_the_actions_stage(session: Session) -> None:
    r = _started(session)
    while review.current_question(r, MISS).key != "actions":
        review.move(session=session, review=r, template=MISS, user_id="U0ALICE", leads=(), step=1)
    assert r.stage == Stage.ACTIONS
    # Closed and reopened on the same question, it is back where it was.
    r.stage = Stage.CLOSED
    review.reopen(review=r, template=MISS, user_id="U0ALICE", leads=())
    assert r.stage == Stage.ACTIONS


def test_closing_a_miss_needs_root_cause_gap_and_an_action(session: Session) -> None:
    r = _started(session)
    with pytest.raises(review.ReviewError) as refused:
        review.close(session=session, review=r, template=MISS, user_id="U0ALICE", leads=())
    message = str(refused.value)
    assert "root cause" in message
    assert "gap type" in message
    assert "corrective action" in message
    store.add_answer(
        session=session,
        review_id=r.id,
        question_key="root_cause",
        author_id="U0BOB",
        text="No flag check",
        source="thread",
    )
    r.gap_type = "process"
    _action(session, r)
    review.close(session=session, review=r, template=MISS, user_id="U0ALICE", leads=())
    assert r.stage == Stage.CLOSED
    assert r.closed_at is not None
    review.reopen(review=r, template=MISS, user_id="U0ALICE", leads=())
    assert r.stage == Stage.DISCUSSION


def test_a_success_review_closes_with_a_practice_to_keep(session: Session) -> None:
    r = _started(session, template=SUCCESS)
    with pytest.raises(review.ReviewError, match="practice to keep"):
        review.close(session=session, review=r, template=SUCCESS, user_id="U0ALICE", leads=())
    _action(session, r, kind="practice")
    review.close(session=session, review=r, template=SUCCESS, user_id="U0ALICE", leads=())
    assert r.stage == Stage.CLOSED


def test_closed_reviews_take_no_more_replies_and_a_retry_is_ignored(session: Session) -> None:
    r = _started(session)
    kw = {"session": session, "review": r, "template": MISS, "author_id": "U0BOB"}
    assert review.record_reply(text="first", message_ts="5", **kw) is not None
    assert review.record_reply(text="first", message_ts="5", **kw) is None
    r.stage = Stage.CLOSED
    assert review.record_reply(text="late", message_ts="6", **kw) is None
    assert len(store.answers(session=session, review_id=r.id)) == 1


@pytest.mark.parametrize(
    ("owner_tz", "day", "ok"),
    [
        # 2026-11-21 12:00 UTC is still the 21st in New York and already the 21st in Tokyo.
        ("America/New_York", date(2026, 11, 21), True),
        ("America/New_York", date(2026, 11, 20), False),
        ("Pacific/Kiritimati", date(2026, 11, 21), False),  # UTC+14: already the 22nd there
        ("Pacific/Kiritimati", date(2026, 11, 22), True),
        ("UTC", date(2027, 11, 21), True),
        ("UTC", date(2027, 11, 22), False),
    ],
)
def test_the_review_date_is_checked_in_the_owner_time_zone(
    owner_tz: str, day: date, ok: bool
) -> None:
    owner = actions.Owner(user_id="U1", is_bot=False, deleted=False, tz=owner_tz)
    draft = actions.ActionDraft("Add a check", "U1", day, "alert fires within 5 min", "fix")
    assert ("review_date" not in actions.validate(draft, owner, now=NOW)) is ok


def test_a_new_action_gets_its_nudges_planned_in_the_owner_zone(session: Session) -> None:
    from storage.nudges import nudges_of

    r = _started(session)
    _action(session, r)
    [action] = store.actions(session=session, review_id=r.id)
    planned = [
        (n.kind, n.due_at, n.status) for n in nudges_of(session=session, action_id=action.id)
    ]
    # Review date Tue 1 Dec 2026; 09:00 in New York is 14:00 UTC (EST).
    assert planned == [
        ("reminder", datetime(2026, 11, 27, 14, 0, tzinfo=UTC), "pending"),  # Sun 29 → Fri 27
        ("due", datetime(2026, 12, 1, 14, 0, tzinfo=UTC), "pending"),
        ("overdue", datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "pending"),
        ("escalation", datetime(2026, 12, 8, 14, 0, tzinfo=UTC), "pending"),
    ]


def test_public_answers_leave_out_private_perspectives(session: Session) -> None:
    r = _started(session, what_happened="Checkout broke at 16:00")
    for text, source in (("I blame the vendor", "private"), ("The flag was on", "thread")):
        store.add_answer(
            session=session,
            review_id=r.id,
            question_key="actual",
            author_id="U0BOB",
            text=text,
            source=source,
        )
    answers = store.answers(session=session, review_id=r.id)
    shown = [a.text for a in review.public_answers(answers, "actual")]
    assert shown == ["Checkout broke at 16:00", "The flag was on"]
    assert review.public_answers(answers, "root_cause") == []
    assert review.public_answers(answers, None) == []


def test_an_owner_zone_this_machine_does_not_know_reads_the_date_in_the_fallback() -> None:
    owner = actions.Owner(user_id="U1", is_bot=False, deleted=False, tz="Not/AZone")
    # 2026-11-21 12:00 UTC is already the 22nd at UTC+14.
    draft = actions.ActionDraft("Add a check", "U1", date(2026, 11, 21), "alert fires", "fix")
    assert "review_date" not in actions.validate(draft, owner, now=NOW)
    found = actions.validate(draft, owner, now=NOW, fallback_tz="Pacific/Kiritimati")
    assert "Sun 22 Nov" in found["review_date"]


def _draft(session: Session):
    return review.start(
        session=session,
        template=MISS,
        team_id="T1",
        title="Outage",
        channel_id="C1",
        facilitator_id="U0ALICE",
        participant_ids=["U0BOB"],
    )


def test_a_modal_answer_waits_until_the_review_is_posted(session: Session) -> None:
    r = _draft(session)
    assert r.stage == Stage.SETUP
    kw = {"session": session, "template": MISS, "question_key": "actual", "author_id": "U0BOB"}
    with pytest.raises(review.ReviewError, match="not started"):
        review.record_modal_answer(review=r, text="Too early", **kw)
    review.mark_posted(r, message_ts="100.1", permalink=None)
    assert review.record_modal_answer(review=r, text="Now", **kw).answer.text == "Now"
    r.stage = Stage.SHARED
    with pytest.raises(review.ReviewError, match="closed"):
        review.record_modal_answer(review=r, text="Too late", **kw)
    assert [a.text for a in store.answers(session=session, review_id=r.id)] == ["Now"]


@pytest.mark.parametrize("stage", [Stage.CLOSED, Stage.SHARED])
def test_a_closed_reviews_answers_stay_as_its_summary_showed_them_unless_taken_back(
    session: Session, stage: Stage
) -> None:
    r = _started(session)
    kw = {"session": session, "review": r, "template": MISS, "author_id": "U0BOB"}
    review.record_reply(text="Checkout stays up", message_ts="5", **kw)
    review.record_reply(text="Wrong thread", message_ts="6", **kw)
    r.stage = stage
    # An edit after the close does not rewrite what the summary showed...
    assert review.edit_reply(session=session, review=r, message_ts="5", text="Edited") is None
    kept = [a.text for a in store.answers(session=session, review_id=r.id)]
    assert kept == ["Checkout stays up", "Wrong thread"]
    # ...but a deleted reply is gone: its author took it back, so search and exports drop it.
    assert review.delete_reply(session=session, review=r, message_ts="6")
    assert [a.text for a in store.answers(session=session, review_id=r.id)] == ["Checkout stays up"]

    review.reopen(review=r, template=MISS, user_id="U0ALICE", leads=())
    assert review.edit_reply(session=session, review=r, message_ts="5", text="Edited")
    assert [a.text for a in store.answers(session=session, review_id=r.id)] == ["Edited"]
