"""Modal submission listeners."""

from slack_bolt import App

from bot.ids import View
from bot.listeners.session import attach_by_id
from bot.listeners.views.action import submit_action
from bot.listeners.views.answer import submit_answer
from bot.listeners.views.followup import submit_drop, submit_outcome, submit_reschedule
from bot.listeners.views.perspective import submit_perspective
from bot.listeners.views.share import submit_share
from bot.listeners.views.start import submit_start


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
