"""What follows /aar: subcommands, titles, and mistyped subcommands."""

import pytest

from bot.slack.listeners.commands.parse import parse


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("", "start", ""),
        ("   ", "start", ""),
        ("help", "help", ""),
        ("HELP", "help", ""),
        ("search  flaky   deploys", "search", "flaky deploys"),
        ("stats 30", "stats", "30"),
        ("list", "list", ""),
        ("Checkout outage on Friday", "start", "Checkout outage on Friday"),
        ("Deploy", "start", "Deploy"),
        ("serach", "unknown", "serach"),
        ("--list", "unknown", "--list"),
        ("-h", "help", ""),
    ],
)
def test_parse(text: str, name: str, arg: str) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.arg) == (name, arg)
