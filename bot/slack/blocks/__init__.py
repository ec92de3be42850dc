"""Pure Block Kit builders: plain values in, slack_sdk block models out."""
