"""The tables: reviews, participants, answers, actions, nudges, lessons and Slack bookkeeping.

Values with a fixed set of choices are StrEnums here, stored as their short strings (see
`StrEnumColumn`) rather than as database enums, so a new stage or kind is a code change, not a
migration, and code compares enums, never strings.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlmodel import Field, Session, SQLModel

from storage.types import StrEnumColumn, UTCDateTime, clean_text, utcnow


class Stage(StrEnum):
    """Where a review is in its life."""

    SETUP = "setup"
    PERSPECTIVES = "perspectives"
    DISCUSSION = "discussion"
    ACTIONS = "actions"
    CLOSED = "closed"
    SHARED = "shared"


class AnswerSource(StrEnum):
    """Where an answer was typed."""

    THREAD = "thread"
    MODAL = "modal"
    PRIVATE = "private"


class ActionStatus(StrEnum):
    """Whether a corrective action is still open."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class NudgeStatus(StrEnum):
    """A planned DM's delivery state; the database, not the scheduler, is the truth."""

    PENDING = "pending"
    CLAIMED = "claimed"  # a sweeper has it, and has not posted it yet
    SENDING = "sending"  # a sweeper is posting it (or died while posting: Slack may have it)
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"  # a more relevant nudge of its action was due at the same time


class NudgeKind(StrEnum):
    """What a nudge says: before, on, after the review date, or to the lead."""

    REMINDER = "reminder"
    DUE = "due"
    OVERDUE = "overdue"
    ESCALATION = "escalation"


class GapType(StrEnum):
    """Where a root cause sits: what was missing that made the outcome likely."""

    SKILL = "skill"
    PROCESS = "process"
    CONTEXT = "context"
    RESOURCES = "resources"


def _created() -> datetime:
    return utcnow()


def _ts_column(*, nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Column:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index)


class Review(SQLModel, table=True):
    """One after-action review: its template, where it lives in Slack, and its stage."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_team_channel", "team_id", "channel_id"),
        # Drafts are few; the retry job finds them without scanning every review.
        Index(
            "ix_reviews_drafts",
            "created_at",
            sqlite_where=text("stage = 'setup'"),
            postgresql_where=text("stage = 'setup'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    template: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=150)
    stage: Stage = Field(default=Stage.SETUP, sa_type=StrEnumColumn(Stage, 20))
    question_index: int = Field(default=0)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    permalink: str | None = Field(default=None, max_length=500)
    source_permalink: str | None = Field(default=None, max_length=500)
    draft_response_url: str | None = Field(default=None, max_length=500)
    facilitator_id: str = Field(max_length=32)
    confidential: bool = Field(default=False)
    collect_perspectives: bool = Field(default=False)
    attributed_perspectives: bool = Field(default=False)
    gap_type: GapType | None = Field(default=None, sa_type=StrEnumColumn(GapType, 20))
    repeat_of_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("reviews.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=_created, sa_column=_ts_column())
    updated_at: datetime = Field(default_factory=_created, sa_column=_ts_column())
    closed_at: datetime | None = Field(default=None, sa_column=_ts_column(nullable=True))


class Participant(SQLModel, table=True):
    """Someone taking part in a review, and whether they gave a private perspective."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("review_id", "user_id", name="uq_participants_user"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=_fk("reviews.id"))
    user_id: str = Field(max_length=32)
    role: str = Field(default="participant", max_length=20)
    perspective_at: datetime | None = Field(default=None, sa_column=_ts_column(nullable=True))
    added_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class Answer(SQLModel, table=True):
    """An answer to one question of a review, word for word."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("review_id", "message_ts", name="uq_answers_message"),
        Index("ix_answers_review_question", "review_id", "question_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=_fk("reviews.id", index=False))
    question_key: str = Field(max_length=40)
    author_id: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    source: AnswerSource = Field(
        default=AnswerSource.THREAD, sa_type=StrEnumColumn(AnswerSource, 10)
    )
    message_ts: str | None = Field(default=None, max_length=32)
    blame_flagged: bool = Field(default=False)
    created_at: datetime = Field(default_factory=_created, sa_column=_ts_column())
    updated_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class Action(SQLModel, table=True):
    """A corrective action (or practice to keep) with a micro-owner and a review date."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_status_date", "status", "review_date"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=_fk("reviews.id"))
    what: str = Field(max_length=300)
    owner_id: str = Field(max_length=32, index=True)
    owner_tz: str = Field(default="UTC", max_length=64)
    review_date: date
    success_criterion: str = Field(max_length=300)
    kind: str = Field(default="fix", max_length=20)
    status: ActionStatus = Field(default=ActionStatus.OPEN, sa_type=StrEnumColumn(ActionStatus, 10))
    outcome: str | None = Field(default=None, max_length=10)
    outcome_summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    outcome_notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    drop_reason: str | None = Field(default=None, max_length=500)
    specificity: int = Field(default=0)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=_created, sa_column=_ts_column())
    updated_at: datetime = Field(default_factory=_created, sa_column=_ts_column())
    completed_at: datetime | None = Field(default=None, sa_column=_ts_column(nullable=True))


class Nudge(SQLModel, table=True):
    """One planned DM about an action, claimed with a lease so it is sent exactly once."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("action_id", "kind", "due_at", name="uq_nudges_plan"),
        Index("ix_nudges_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(sa_column=_fk("actions.id", index=False))
    # A NudgeKind, kept as text: a kind the code no longer plans still loads (and ranks nowhere).
    kind: str = Field(max_length=20)
    due_at: datetime = Field(sa_column=_ts_column())
    status: NudgeStatus = Field(default=NudgeStatus.PENDING, sa_type=StrEnumColumn(NudgeStatus, 10))
    attempts: int = Field(default=0)
    lease_expires_at: datetime | None = Field(default=None, sa_column=_ts_column(nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    channel_id: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, sa_column=_ts_column(nullable=True))
    created_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class JobStatus(StrEnum):
    """Where a unit of work after an ack is: waiting, being run under a lease, or given up."""

    PENDING = "pending"
    RUNNING = "running"
    FAILED = "failed"


class Job(SQLModel, table=True):
    """The outbox: one unit of work after an ack, written in the transaction it follows.

    A done job is deleted; what it did lives in the other tables. `lane` orders the jobs of one
    thread or conversation: a job waits while an older one of its lane is not finished.
    `posts` holds the messages it already posted (JSON), so a retry does not post them again.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_ready", "status", "run_after"),
        Index("ix_jobs_lane", "lane", "id"),
        # Never reuse a done job's id: a retry finds its posts by the id in their metadata.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    team_id: str = Field(default="", max_length=32)
    lane: str | None = Field(default=None, max_length=80)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    posts: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    request_id: str | None = Field(default=None, max_length=40)
    status: JobStatus = Field(default=JobStatus.PENDING, sa_type=StrEnumColumn(JobStatus, 10))
    attempts: int = Field(default=0)
    run_after: datetime = Field(default_factory=_created, sa_column=_ts_column())
    lease_expires_at: datetime | None = Field(default=None, sa_column=_ts_column(nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class Lesson(SQLModel, table=True):
    """A "What we learned" card posted to a channel."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts", name="uq_lessons_message"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=_fk("reviews.id"))
    text: str = Field(max_length=500)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    shared_by: str = Field(max_length=32)
    shared_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class RepeatCheck(SQLModel, table=True):
    """That a review was compared with past ones, and which similar reviews were offered."""

    __tablename__ = "repeat_checks"

    review_id: int = Field(
        sa_column=Column(Integer, ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True)
    )
    similar_ids: str = Field(default="", max_length=200)
    message_ts: str | None = Field(default=None, max_length=32)
    checked_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class Escalation(SQLModel, table=True):
    """A chain of repeats that reached the threshold, posted once to the leads' channel."""

    __tablename__ = "escalations"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    review_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    chain_ids: str = Field(max_length=500)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class ChannelDigest(SQLModel, table=True):
    """When a channel last got its weekly digest, so "done since" has a start."""

    __tablename__ = "channel_digests"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    sent_at: datetime = Field(sa_column=_ts_column())


class SlackUser(SQLModel, table=True):
    """What users.info last said about a person: time zone, bot, deactivated."""

    __tablename__ = "slack_users"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    is_bot: bool = Field(default=False)
    deleted: bool = Field(default=False)
    fetched_at: datetime = Field(default_factory=_created, sa_column=_ts_column())


class ProcessedEvent(SQLModel, table=True):
    """A Slack event id already handled, so a retried delivery is processed once."""

    __tablename__ = "processed_events"

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(max_length=32)
    received_at: datetime = Field(default_factory=_created, sa_column=_ts_column(index=True))


@event.listens_for(Session, "before_flush")
def _storable_text(session: Session, _context: object, _instances: object) -> None:
    """Every text written is cleaned first (storage.types.clean_text), whatever path it came
    by: a NUL or a lone surrogate would otherwise lose the whole row."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attribute in state.mapper.column_attrs:
            value = state.dict.get(attribute.key)
            if isinstance(value, str):
                cleaned = clean_text(value)
                if cleaned != value:
                    setattr(obj, attribute.key, cleaned)
