"""Modal submission listeners."""

from slack_bolt import App

from bot.ids import View
from bot.listeners.views.action import submit_action
from bot.listeners.views.answer import submit_answer
from bot.listeners.views.followup import submit_drop, submit_outcome, submit_reschedule
from bot.listeners.views.perspective import submit_perspective
from bot.listeners.views.share import submit_share
from bot.listeners.views.start import submit_start


def register(app: App) -> None:
    """Attach the modal listeners."""
    app.view(View.START)(submit_start)
    app.view(View.ANSWER)(submit_answer)
    app.view(View.ADD_ACTION)(submit_action)
    app.view(View.PERSPECTIVE)(submit_perspective)
    app.view(View.OUTCOME)(submit_outcome)
    app.view(View.RESCHEDULE)(submit_reschedule)
    app.view(View.DROP)(submit_drop)
    app.view(View.SHARE)(submit_share)
