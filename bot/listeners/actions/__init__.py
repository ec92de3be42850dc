"""Button and select listeners."""

from slack_bolt import App

from bot.ids import Act, Block
from bot.listeners.actions import home, nudge, owner, review


def register(app: App) -> None:
    """Attach the interactive component listeners."""
    app.action(Act.ANSWER)(review.open_answer)
    app.action(Act.NEXT)(review.next_question)
    app.action(Act.BACK)(review.previous_question)
    app.action(Act.GAP_TYPE)(review.choose_gap)
    app.action(Act.ADD_ACTION)(review.open_add_action)
    app.action(Act.CLOSE)(review.close_review)
    app.action(Act.REOPEN)(review.reopen_review)
    app.action(Act.START_DISCUSSION)(review.start_discussion)
    app.action(Act.GIVE_PERSPECTIVE)(review.open_perspective)
    app.action(Act.SHARE)(review.open_share)
    app.action(Act.SAME_FAILURE)(review.same_failure)
    app.action(Block.OWNER)(owner.look_up_owner)
    app.action(Act.NUDGE_DONE)(nudge.open_done)
    app.action(Act.NUDGE_RESCHEDULE)(nudge.open_reschedule)
    app.action(Act.NUDGE_DROP)(nudge.open_drop)
    app.action(Act.HOME_MORE)(home.open_more)
