"""Text with NUL or a lone surrogate is cleaned before it is written, whatever path it came by
(a Socket Mode event, an import): the row is stored, never lost."""

from sqlmodel import Session, select

from storage.models import Answer, Review


def test_nul_and_lone_surrogates_are_cleaned_and_the_rows_stored(session: Session) -> None:
    review = Review(
        team_id="T1",
        template="miss",
        kind="miss",
        title="Check\x00out \udc80outage",
        channel_id="C1",
        facilitator_id="U1",
    )
    session.add(review)
    session.flush()
    session.add(Answer(review_id=review.id, question_key="actual", author_id="U1", text="a\x00b"))
    session.commit()
    answer = session.exec(select(Answer)).one()
    answer.text = "edited \ud800\x00"
    session.commit()
    session.expire_all()
    assert session.exec(select(Review.title)).one() == "Checkout \ufffdoutage"
    assert session.exec(select(Answer.text)).one() == "edited \ufffd"
