"""Button and select listeners."""

from slack_bolt import App

from bot.ids import Act, Block
from bot.listeners.actions import home, nudge, owner, review
from bot.listeners.session import attach


def register(app: App) -> None:
    """Attach the interactive component listeners."""
    attach(app.action(Act.ANSWER), review.open_answer)
    attach(app.action(Act.NEXT), review.next_question)
    attach(app.action(Act.BACK), review.previous_question)
    attach(app.action(Act.GAP_TYPE), review.choose_gap)
    attach(app.action(Act.ADD_ACTION), review.open_add_action)
    attach(app.action(Act.CLOSE), review.close_review)
    attach(app.action(Act.REOPEN), review.reopen_review)
    attach(app.action(Act.START_DISCUSSION), review.start_discussion)
    attach(app.action(Act.GIVE_PERSPECTIVE), review.open_perspective)
    attach(app.action(Act.SHARE), review.open_share)
    attach(app.action(Act.SAME_FAILURE), review.same_failure)
    attach(app.action(Block.OWNER), owner.look_up_owner)
    attach(app.action(Act.NUDGE_DONE), nudge.open_done)
    attach(app.action(Act.NUDGE_RESCHEDULE), nudge.open_reschedule)
    attach(app.action(Act.NUDGE_DROP), nudge.open_drop)
    attach(app.action(Act.HOME_MORE), home.open_more)
