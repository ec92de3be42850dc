"""Modal submission listeners."""

from slack_bolt import App

from bot.slack.ids import View
from bot.slack.listeners.session import attach_by_id
from bot.slack.listeners.views.action import submit_action
from bot.slack.listeners.views.answer import submit_answer
from bot.slack.listeners.views.followup import submit_drop, submit_outcome, submit_reschedule
from bot.slack.listeners.views.perspective import submit_perspective
from bot.slack.listeners.views.share import submit_share
from bot.slack.listeners.views.start import submit_start


def register(app: App) -> None:
    """Attach the modal listeners, routed by callback id."""
    attach_by_id(
        app.view,
        {
            View.START: submit_start,
            View.ANSWER: submit_answer,
            View.ADD_ACTION: submit_action,
            View.PERSPECTIVE: submit_perspective,
            View.OUTCOME: submit_outcome,
            View.RESCHEDULE: submit_reschedule,
            View.DROP: submit_drop,
            View.SHARE: submit_share,
        },
        lambda body: body["view"]["callback_id"],
    )
