"""App Home through the real app: published when opened, with my open actions (and the nudge's
buttons, which work from there), my reviews, shared lessons and, for leads, the stats;
republished when something in it changes; never over 100 blocks; confidential reviews kept
from people who are not in them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.slack.ids import Act, Block, View
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.state import BOT_USER_ID, TEAM_ID
from storage import reviews as store
from storage.models import Action, Lesson, Review
from tests.bot import reviewing as r
from tests.bot.homes import buttons, click_on_home, known, open_home, shown

LEAD = "U0LEAD"


@pytest.fixture
def app(make_bot, standin: SlackStandIn) -> Bot:
    """The app with one lead, U0LEAD."""
    standin.add_user(LEAD, "lea")
    return make_bot(leads=(LEAD,))


def _review(
    session: Session,
    title: str,
    *,
    participants: tuple[str, ...] = (),
    confidential: bool = False,
    team: str = TEAM_ID,
    standin: SlackStandIn | None = None,
) -> Review:
    review = store.create_review(
        session=session,
        team_id=team,
        template="miss",
        kind="miss",
        title=title,
        channel_id="C0GENERAL",
        facilitator_id="U0ALICE",
        participant_ids=participants,
        confidential=confidential,
    )
    ts = f"1700000000.{review.id:06d}"
    if standin is not None:  # the review message really exists, for the updates after a click
        ts = standin.add_message("C0GENERAL", BOT_USER_ID, f"After-action review: {title}")["ts"]
    review.message_ts = review.thread_ts = ts
    review.permalink = f"https://example.slack.com/archives/C0GENERAL/p{review.id}"
    session.flush()
    return review


def _action(session: Session, review: Review, what: str, *, owner: str = "U0BOB") -> Action:
    return store.add_action(
        session=session,
        review_id=review.id,
        what=what,
        owner_id=owner,
        owner_tz="UTC",
        review_date=datetime.now(UTC).date() + timedelta(days=7),
        success_criterion="Zero deploy incidents for 30 days",
        kind="fix",
        specificity=4,
        created_by="U0ALICE",
    )


def _lesson(session: Session, review: Review, text: str, n: int = 0) -> None:
    session.add(
        Lesson(
            review_id=review.id,
            text=text,
            channel_id="C0LESSONS",
            message_ts=f"1700000100.{review.id:03d}{n:03d}",
            shared_by="U0ALICE",
        )
    )
    session.flush()


def _fresh(session: Session, action_id: int) -> Action:
    session.rollback()  # drop the test's read snapshot to see the app's commits
    session.expire_all()  # and what it still holds of rows it wrote itself
    return session.exec(select(Action).where(Action.id == action_id)).one()


def _publishes(standin: SlackStandIn, user: str) -> int:
    return sum(1 for c in standin.calls_to("views.publish") if c.args.get("user_id") == user)


# --- what the Home shows ----------------------------------------------------------------


def test_home_shows_my_open_actions_and_reviews(app: Bot, session: Session) -> None:
    root = r.start(app, "Outage of the search cluster", participants=("U0BOB",))
    known(session, "U0BOB")
    response = r.add_action(app, root, what="Write a runbook for search failover", owner="U0BOB")
    assert not response.body, response.body
    home = open_home(app, "U0BOB")
    text = shown(home)
    assert "Write a runbook for search failover" in text
    assert "Outage of the search cluster" in text
    assert "Reviews you facilitate or joined* · 1" in text
    assert len(home["blocks"]) <= 100


def test_someone_with_nothing_gets_an_empty_but_friendly_home(app: Bot) -> None:
    text = shown(open_home(app, "U0CAROL"))
    assert "Nothing open" in text
    assert "Start one with" in text
    assert "No lessons shared yet" in text
    assert "Workspace stats" not in text


def test_the_home_carries_the_nudge_buttons_for_each_open_action(
    app: Bot, session: Session
) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",))
    first = _action(session, review, "Add a canary stage")
    second = _action(session, review, "Write the rollback runbook")
    session.commit()
    home = open_home(app, "U0BOB")
    expected = [str(first.id), str(second.id)]
    assert buttons(home, Act.NUDGE_DONE) == expected
    assert buttons(home, Act.NUDGE_RESCHEDULE) == expected
    assert buttons(home, Act.NUDGE_DROP) == expected


def test_recent_shared_lessons_are_shown_newest_first(app: Bot, session: Session) -> None:
    review = _review(session, "Checkout outage")
    _lesson(session, review, "Deploy on Mondays <!channel>", 1)
    _lesson(session, review, "Rehearse the failover every quarter", 2)
    session.commit()
    text = shown(open_home(app, "U0CAROL"))
    assert text.index("Rehearse the failover") < text.index("Deploy on Mondays")
    assert "&lt;!channel&gt;" in text
    assert "<!channel>" not in text
    assert "<#C0LESSONS>" in text


# --- Done / Reschedule from the Home ------------------------------------------------------


def _outcome_values(met: str) -> dict[str, Any]:
    return r.outcome_values("The canary caught a bad build", met)


def test_done_from_the_home_completes_the_action_and_republishes_the_home(
    app: Bot, session: Session
) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",), standin=app.standin)
    action = _action(session, review, "Add a canary stage")
    session.commit()
    open_home(app, "U0BOB")
    published = _publishes(app.standin, "U0BOB")

    response = click_on_home(app, "U0BOB", Act.NUDGE_DONE, str(action.id))
    assert response.status == 200
    modal = app.last_view()
    assert modal["callback_id"] == View.OUTCOME
    response = app.submit(modal, _outcome_values("yes"), user="U0BOB")
    assert response.status == 200
    assert not response.body, response.body

    assert _fresh(session, action.id).status == "done"
    assert _publishes(app.standin, "U0BOB") == published + 1
    home = app.standin.home("U0BOB")
    assert "Add a canary stage" not in shown(home)
    assert "Nothing open" in shown(home)


def test_reschedule_from_the_home_moves_the_date_and_republishes_the_home(
    app: Bot, session: Session
) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",), standin=app.standin)
    action = _action(session, review, "Add a canary stage")
    session.commit()
    known(session, "U0BOB", tz="UTC")
    open_home(app, "U0BOB")

    click_on_home(app, "U0BOB", Act.NUDGE_RESCHEDULE, str(action.id))
    modal = app.last_view()
    assert modal["callback_id"] == View.RESCHEDULE
    new_date = datetime.now(UTC).date() + timedelta(days=30)
    values = {Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value(new_date.isoformat())}}
    response = app.submit(modal, values, user="U0BOB")
    assert not response.body, response.body

    assert _fresh(session, action.id).review_date == new_date
    assert f"review date {new_date:%a %-d %b %Y}" in shown(app.standin.home("U0BOB"))


def test_a_stale_home_button_answers_in_a_modal_and_shows_the_action_as_it_is(
    app: Bot, session: Session
) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",))
    action = _action(session, review, "Add a canary stage")
    session.commit()
    open_home(app, "U0BOB")
    action.status, action.completed_at = "done", datetime.now(UTC)  # done from the DM meanwhile
    session.commit()

    response = click_on_home(app, "U0BOB", Act.NUDGE_DONE, str(action.id))
    assert response.status == 200
    notice = app.last_view()
    assert notice["callback_id"] == View.NOTICE
    assert "already done" in shown(notice)
    assert "Add a canary stage" not in shown(app.standin.home("U0BOB"))


def test_a_failing_home_publish_never_loses_the_click(
    app: Bot, session: Session, standin: SlackStandIn
) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",), standin=standin)
    action = _action(session, review, "Add a canary stage")
    session.commit()
    open_home(app, "U0BOB")
    click_on_home(app, "U0BOB", Act.NUDGE_DONE, str(action.id))
    modal = app.last_view()

    standin.fail_next("views.publish", status=500, times=5)
    response = app.submit(modal, _outcome_values("yes"), user="U0BOB")
    assert response.status == 200
    assert not response.body, response.body
    assert _fresh(session, action.id).status == "done"
    assert not standin.ephemerals("U0BOB")  # no apology: the click itself went through
    assert not standin.dm("U0BOB")


# --- refreshed when something in it changes ------------------------------------------------


def test_a_new_action_appears_on_its_owners_home_without_reopening_it(
    app: Bot, session: Session
) -> None:
    root = r.start(app, "Checkout outage", participants=("U0BOB",))
    assert "Nothing open" in shown(open_home(app, "U0BOB"))
    known(session, "U0BOB")
    response = r.add_action(app, root, what="Add a canary stage", owner="U0BOB")
    assert not response.body, response.body
    assert "Add a canary stage" in shown(app.standin.home("U0BOB"))


def test_reopening_a_review_republishes_its_peoples_homes(app: Bot, session: Session) -> None:
    root = r.start(app, "Checkout outage", participants=("U0BOB",))
    review = session.exec(select(Review)).one()
    review.stage = "closed"
    session.commit()
    assert "Closed" in shown(open_home(app, "U0BOB"))
    alice = _publishes(app.standin, "U0ALICE")
    r.click(app, root, Act.REOPEN)
    assert "Checkout outage> · Discussion" in shown(app.standin.home("U0BOB"))
    assert _publishes(app.standin, "U0ALICE") == alice + 1


# --- long lists ----------------------------------------------------------------------------


def test_long_lists_stay_within_100_blocks_with_see_all_links(app: Bot, session: Session) -> None:
    big = _review(session, "A very busy review", participants=("U0BOB",))
    for n in range(210):
        _action(session, big, f"Action number {n}")
    for n in range(120):
        other = _review(session, f"Review number {n}", participants=("U0BOB",))
        _lesson(session, other, f"Lesson number {n}")
    session.commit()

    home = open_home(app, "U0BOB")
    assert len(home["blocks"]) <= 100
    assert buttons(home, Act.HOME_MORE) == ["actions", "reviews", "lessons"]
    text = shown(home)
    assert "Showing 10 of 210 open actions." in text
    assert "Showing 10 of 121 reviews." in text
    assert "Showing 5 of 120 lessons." in text

    click_on_home(app, "U0BOB", Act.HOME_MORE, "actions")
    modal = app.last_view()
    assert modal["callback_id"] == View.HOME_LIST
    assert len(modal["blocks"]) <= 100
    listed = shown(modal)
    assert "Action number 0" in listed
    assert "Action number 199" in listed
    assert "…and 10 more." in listed

    click_on_home(app, "U0BOB", Act.HOME_MORE, "reviews")
    listed = shown(app.last_view())
    assert "Review number 119" in listed
    assert "Review number 0" in listed

    click_on_home(app, "U0BOB", Act.HOME_MORE, "lessons")
    assert len(app.last_view()["blocks"]) <= 100
    assert "Lesson number 0" in shown(app.last_view())


# --- confidential reviews, leads, other workspaces ------------------------------------------


def test_confidential_reviews_stay_off_the_homes_of_people_not_in_them(
    app: Bot, session: Session
) -> None:
    secret = _review(session, "Payroll export leaked", participants=("U0BOB",), confidential=True)
    _action(session, secret, "Rotate the bucket keys", owner="U0CAROL")
    _lesson(session, secret, "Check the bucket policy before exporting")
    public = _review(session, "Checkout outage")
    _lesson(session, public, "Deploy on Mondays")
    session.commit()

    carol = shown(open_home(app, "U0CAROL"))
    assert "Rotate the bucket keys" in carol  # her own action, so she can act on it
    assert "a confidential review" in carol
    assert "Payroll" not in carol
    assert "bucket policy" not in carol
    assert "Deploy on Mondays" in carol

    bob = shown(open_home(app, "U0BOB"))
    assert "Payroll export leaked" in bob
    assert "bucket policy" in bob

    lead = shown(open_home(app, LEAD))
    assert "bucket policy" in lead


def test_a_lead_sees_the_workspace_stats_on_the_home_and_others_do_not(
    app: Bot, session: Session
) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",))
    _review(session, "Payroll export leaked", confidential=True)
    _action(session, review, "Add a canary stage")
    session.commit()

    lead = open_home(app, LEAD)
    text = shown(lead)
    assert "Workspace stats" in text
    assert "*Reviews*\\n2" in text  # the lead counts the confidential one too
    assert len(lead["blocks"]) <= 100
    assert "Workspace stats" not in shown(open_home(app, "U0BOB"))
    assert "Workspace stats" not in shown(open_home(app, "U0ALICE"))


def test_another_workspace_sees_none_of_this_ones_home(app: Bot, session: Session) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",))
    _action(session, review, "Add a canary stage")
    _lesson(session, review, "Deploy on Mondays")
    session.commit()
    body = p.event_callback(p.app_home_opened_event("U0BOB"), team_id="T0OTHER")
    app.post_signed(body, json_body=True)
    app.settle()
    text = shown(app.standin.home("U0BOB"))
    assert "Nothing open" in text
    assert "Checkout outage" not in text
    assert "Deploy on Mondays" not in text


def test_an_overdue_action_is_marked_on_the_home(app: Bot, session: Session) -> None:
    review = _review(session, "Checkout outage", participants=("U0BOB",))
    action = _action(session, review, "Add a canary stage")
    action.review_date = date(2020, 1, 6)
    session.commit()
    assert "*overdue*" in shown(open_home(app, "U0BOB"))
