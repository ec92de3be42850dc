"""Actions listeners."""

from slack_bolt import App


def register(app: App) -> None:
    """Attach the actions listeners."""
