"""`aarbot demo`: a whole review against the built-in stand-in, and its transcript renderer."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import demo_render as render
from bot.cli.demo import ACTION_WHAT, ANSWERS, LESSON, run_demo

MISS_PROMPTS = (
    "What did we expect to happen?",
    "What actually happened?",
    "What assumption guided this decision?",
    "What evidence did we have?",
    "What changed?",
    "Why was there a difference?",
    "What did we learn?",
)


def _run(**kw) -> str:
    out = io.StringIO()
    assert run_demo(out=out, **kw) == 0
    return out.getvalue()


def test_the_transcript_shows_the_whole_review(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real workspace's settings in the environment must not reach the demo.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "garbage")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@nowhere.invalid/none")
    monkeypatch.setenv("SLACK_API_URL", "http://nowhere.invalid/api/")
    shown = _run()

    assert "Alice types /aar Checkout outage after Friday deploy" in shown
    assert "aarbot opens the modal: Start a review" in shown
    for prompt in MISS_PROMPTS:
        assert prompt in shown
    for _, text in (*ANSWERS, LESSON):
        assert text in shown
    assert f"*{ACTION_WHAT}*: @Bob" in shown
    assert "Summary: Checkout outage after Friday deploy" in shown
    assert "*Stage:* Closed" in shown
    assert "[Reopen]" in shown
    assert "aarbot posts in #lessons:" in shown  # the shared "What we learned" card
    assert "What we learned: Checkout outage after Friday deploy" in shown
    assert "*Stage:* Closed and shared" in shown
    assert "Stored: 8 answers, 1 action(s) (owner @Bob)." in shown
    assert "Review stage: shared." in shown
    assert "Slack refused" not in shown
    assert "Slack would have refused" not in shown
    assert "<@" not in shown


def test_a_client_id_in_the_environment_does_not_reach_the_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Bolt alone would read these and turn the demo's app into a file-based OAuth install.
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "x")
    shown = _run()

    assert "aarbot opens the modal: Start a review" in shown
    assert "Review stage: shared." in shown
    assert (os.environ["SLACK_CLIENT_ID"], os.environ["SLACK_CLIENT_SECRET"]) == ("1.2", "x")


def test_keep_db_writes_the_database_there_and_refuses_to_overwrite(tmp_path: Path) -> None:
    kept = tmp_path / "demo" / "aarbot.db"
    shown = _run(keep_db=kept)
    assert kept.is_file()
    assert f"Database kept at {kept}" in shown
    assert run_demo(out=io.StringIO(), keep_db=kept) == 2


def test_aarbot_demo_runs_from_an_empty_directory_with_a_clean_environment(
    tmp_path: Path,
) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")}
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=garbage\nDATABASE_URL=nonsense://\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "demo"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Summary: Checkout outage after Friday deploy" in done.stdout
    assert "Review stage: shared." in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_mrkdwn_names_mentions_and_channels_and_keeps_bold() -> None:
    names = {"U0BOB": "Bob", "C0GENERAL": "general"}
    assert render.mrkdwn("*Owner:* <@U0BOB> in <#C0GENERAL>", names) == "*Owner:* @Bob in #general"
    assert render.mrkdwn("<@U0NOBODY>", names) == "@U0NOBODY"


def test_mrkdwn_shows_link_labels_and_unescapes() -> None:
    assert render.mrkdwn("see <https://x.test/a?b=1|the runbook>") == "see the runbook"
    assert render.mrkdwn("<https://x.test>") == "https://x.test"
    assert render.mrkdwn("a &lt;b&gt; &amp;&amp; c &amp;lt;") == "a <b> && c &lt;"


def test_blocks_render_buttons_selects_fields_and_context() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Review"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Stage:* Closed"},
            "fields": [{"type": "mrkdwn", "text": "Owner <@U0BOB>"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "With <@U0BOB>"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Next"}},
                {
                    "type": "static_select",
                    "placeholder": {"type": "plain_text", "text": "Gap type"},
                    "options": [],
                },
            ],
        },
    ]
    assert render.blocks(blocks, {"U0BOB": "Bob"}) == [
        "== Review ==",
        "*Stage:* Closed",
        "Owner @Bob",
        "With @Bob",
        "[Next] [Gap type v]",
    ]
    assert render.key_line(render.blocks(blocks)) == "*Stage:* Closed"
    assert render.message({"text": "plain &amp; simple"}) == ["plain & simple"]
