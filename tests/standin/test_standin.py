"""The stand-in answers a real WebClient like Slack, and its payloads drive a real Bolt app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.standin import SlackStandIn, sign_request
from bot.standin.payloads import (
    block_actions,
    date_value,
    event_callback,
    message_event,
    slash_command,
    text_value,
    user_value,
    view_submission,
)

SHARED_SLACK = Path(__file__).resolve().parents[3] / "shared" / "slack"
REQUIRED_ARGS = SHARED_SLACK / "slack_web_openapi_v2.required_args.json"
SECRET = "standin-secret"
MODAL = {
    "type": "modal",
    "callback_id": "aar_start",
    "title": {"type": "plain_text", "text": "Start a review"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}],
}


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    """A stand-in of our own: these tests create violations on purpose."""
    required = REQUIRED_ARGS if REQUIRED_ARGS.is_file() else None
    with SlackStandIn(required_args_path=required) as server:
        yield server


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    """A real slack_sdk client pointed at the stand-in."""
    return WebClient(token="xoxb-test", base_url=standin.base_url)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_post_message_gives_increasing_ts_and_keeps_threads(standin, client):
    first = client.chat_postMessage(channel="C0GENERAL", text="parent")
    second = client.chat_postMessage(channel="C0GENERAL", text="reply", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["thread_ts"] == first["ts"]
    assert second["message"]["bot_id"] == "B0001"
    assert [m["text"] for m in standin.thread("C0GENERAL", first["ts"])] == ["parent", "reply"]
    link = client.chat_getPermalink(channel="C0GENERAL", message_ts=second["ts"])["permalink"]
    assert link.endswith(f"?thread_ts={first['ts']}&cid=C0GENERAL")


def test_posting_to_a_user_id_lands_in_their_dm(standin, client):
    response = client.chat_postMessage(channel="U0BOB", text="your action is due")
    assert response["channel"] == client.conversations_open(users="U0BOB")["channel"]["id"]
    assert [m["text"] for m in standin.dm("U0BOB")] == ["your action is due"]


def test_message_metadata_comes_back_from_history_only_when_asked_for(standin, client):
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]
    meta = {"event_type": "aarbot_nudge", "event_payload": {"nudge_id": 7}}
    posted = [
        client.chat_postMessage(channel=dm, text=f"n{i}", metadata=meta if i == 1 else None)
        for i in range(4)
    ]
    history = client.conversations_history(channel=dm, include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["n3", "n2", "n1", "n0"]  # newest first
    assert [m.get("metadata") for m in history["messages"]] == [None, None, meta, None]
    plain = client.conversations_history(channel=dm)
    assert all("metadata" not in m for m in plain["messages"])
    after = client.conversations_history(channel=dm, oldest=posted[1]["ts"], limit=1)
    assert ([m["text"] for m in after["messages"]], after["has_more"]) == (["n3"], True)
    thread = client.chat_postMessage(channel="C0GENERAL", text="parent")
    client.chat_postMessage(
        channel="C0GENERAL", thread_ts=thread["ts"], text="reply", metadata=meta
    )
    replies = client.conversations_replies(
        channel="C0GENERAL", ts=thread["ts"], include_all_metadata=True
    )
    assert [m.get("metadata") for m in replies["messages"]] == [None, meta]


def test_reading_a_dm_needs_im_history(standin, client):
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]
    standin.scopes = [s for s in standin.scopes if s != "im:history"]
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel=dm)
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "im:history"
    assert client.conversations_history(channel="C0GENERAL")["ok"]


def test_channels_the_bot_is_not_in_are_refused(client):
    with pytest.raises(SlackApiError) as public:
        client.chat_postMessage(channel="C0OPS", text="hi")
    assert public.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as private:
        client.chat_postMessage(channel="G0SECRET", text="hi")
    assert private.value.response["error"] == "channel_not_found"


def test_join_works_for_public_channels_only(client):
    assert client.conversations_join(channel="C0OPS")["channel"]["is_member"] is True
    assert client.chat_postMessage(channel="C0OPS", text="now I can")["ok"]
    with pytest.raises(SlackApiError) as private:
        client.conversations_join(channel="G0SECRET")
    assert private.value.response["error"] == "method_not_supported_for_channel_type"


def test_users_info_reports_time_zones(client):
    alice = client.users_info(user="U0ALICE")["user"]
    assert alice["tz"] == "Europe/Berlin"
    assert alice["tz_offset"] in (3600, 7200)
    assert client.users_info(user="U0DEACT")["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as missing:
        client.users_info(user="U0NOBODY")
    assert missing.value.response["error"] == "user_not_found"


def test_views_update_with_a_stale_hash_conflicts(standin, client):
    view = client.views_open(trigger_id="t-1", view=MODAL)["view"]
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)["view"]
    assert updated["id"] == view["id"]
    assert updated["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    assert stale.value.response["error"] == "hash_conflict"
    assert list(standin.views) == [view["id"]]


def test_rate_limit_is_retried_by_slack_sdk(standin):
    standin.fail_next("chat.postMessage", status=429, retry_after=0)
    plain = WebClient(token="xoxb-test", base_url=standin.base_url)
    with pytest.raises(SlackApiError) as limited:
        plain.chat_postMessage(channel="C0GENERAL", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] in ("0", ["0"])

    standin.fail_next("chat.postMessage", status=429, retry_after=0)
    patient = WebClient(
        token="xoxb-test",
        base_url=standin.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    assert patient.chat_postMessage(channel="C0GENERAL", text="x")["ok"]
    assert [c.status for c in standin.calls_to("chat.postMessage")] == [429, 429, 200]


def test_ongoing_rate_limit_computes_retry_after(standin, client):
    standin.rate_limit("auth.test", per_minute=2)
    client.auth_test()
    client.auth_test()
    with pytest.raises(SlackApiError) as limited:
        client.auth_test()
    assert int(limited.value.response.headers["Retry-After"]) >= 59


def test_server_errors_are_answered(standin, client):
    standin.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C0GENERAL", text="x")
    assert failed.value.response.status_code == 500
    assert failed.value.response["error"] == "internal_error"
    assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"]


def test_too_many_blocks_are_refused_and_recorded(standin, client):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[_section("b")] * 51)
    assert refused.value.response["error"] == "invalid_blocks"
    assert standin.messages("C0GENERAL") == []
    assert "51 blocks" in standin.violations[0].reason
    with pytest.raises(AssertionError, match=r"chat\.postMessage"):
        standin.assert_clean()


def test_invalid_block_is_refused(standin, client):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[_section("y" * 3001)])
    assert refused.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[{"type": "nonsense"}])
    assert len(standin.violations) == 2


def test_form_encoded_blocks_are_decoded(standin, client):
    client.api_call(
        "chat.postMessage",
        params={"channel": "C0GENERAL", "blocks": json.dumps([{"type": "divider"}])},
    )
    assert standin.messages("C0GENERAL")[0]["blocks"] == [{"type": "divider"}]
    standin.assert_clean()


@pytest.mark.skipif(not REQUIRED_ARGS.is_file(), reason="needs the shared required-args file")
def test_required_arguments_are_enforced(standin, client):
    with pytest.raises(SlackApiError) as missing:
        client.api_call("chat.postEphemeral", json={"channel": "C0GENERAL", "text": "x"})
    assert missing.value.response["error"] == "invalid_arguments"
    assert standin.violations[0].reason == "missing required argument 'user'"


def test_auth_and_unknown_methods(standin):
    with pytest.raises(SlackApiError) as anonymous:
        WebClient(base_url=standin.base_url).api_call("auth.test")
    assert anonymous.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="nope", base_url=standin.base_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as unknown:
        WebClient(token="xoxb-test", base_url=standin.base_url).api_call("chat.teleport")
    assert unknown.value.response["error"] == "unknown_method"


def test_response_url_posts_follow_slack_rules(standin, client):
    posted = client.chat_postMessage(channel="C0GENERAL", text="original")
    url = standin.response_url("r1", channel="C0GENERAL", user="U0ALICE", message_ts=posted["ts"])
    WebhookClient(url).send(text="only you")
    assert [e["text"] for e in standin.ephemerals("U0ALICE")] == ["only you"]
    WebhookClient(url).send(text="edited", replace_original=True)
    assert standin.messages("C0GENERAL")[0]["text"] == "edited"
    WebhookClient(url).send(text="for all", response_type="in_channel")
    assert [m["text"] for m in standin.messages("C0GENERAL")] == ["edited", "for all"]
    assert len(standin.responses) == 3


def test_signature_is_accepted_and_tampering_rejected():
    body = slash_command(text="hi", user_id="U0ALICE", channel_id="C0GENERAL", response_url="x")
    headers = sign_request(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace("hi", "ho"), headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(body)["command"] == ["/aar"]


def _bolt_app(standin: SlackStandIn) -> App:
    return App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=standin.base_url),
        process_before_response=True,
    )


def _dispatch(app: App, body: str, content_type: str = "form") -> int:
    headers = sign_request(body, SECRET, content_type=content_type)
    return app.dispatch(BoltRequest(body=body, headers=headers)).status


def test_bolt_app_receives_commands_views_actions_and_events(standin):
    app = _bolt_app(standin)
    seen: dict = {}

    @app.command("/aar")
    def start(ack, command, client, respond):
        ack()
        seen["text"] = command["text"]
        client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        respond("Opening…")

    @app.view("aar_start")
    def submitted(ack, view):
        ack()
        seen["values"] = view["state"]["values"]

    @app.action("done")
    def done(ack, body, action):
        ack()
        seen["action"] = (action["value"], body["container"]["message_ts"])

    @app.event("message")
    def message(event):
        seen["message"] = event["text"]

    url = standin.response_url("cmd", channel="C0GENERAL", user="U0ALICE")
    command = slash_command(
        text="Launch slipped", user_id="U0ALICE", channel_id="C0GENERAL", response_url=url
    )
    assert _dispatch(app, command) == 200
    assert seen["text"] == "Launch slipped"
    assert len(standin.open_views) == 1
    assert [e["text"] for e in standin.ephemerals("U0ALICE")] == ["Opening…"]

    values = {
        "title": {"title": text_value("Launch slipped")},
        "owner": {"owner": user_value("U0BOB")},
        "date": {"date": date_value("2026-12-01")},
    }
    submission = view_submission(user_id="U0ALICE", callback_id="aar_start", values=values)
    assert _dispatch(app, submission) == 200
    assert seen["values"]["owner"]["owner"]["selected_user"] == "U0BOB"
    assert seen["values"]["title"]["title"]["value"] == "Launch slipped"

    click = block_actions(
        user_id="U0BOB", action_id="done", value="42", channel_id="C0GENERAL", message_ts="1.2"
    )
    assert _dispatch(app, click) == 200
    assert seen["action"] == ("42", "1.2")

    event = message_event(channel="C0GENERAL", user="U0BOB", text="because", ts="1.3")
    assert _dispatch(app, event_callback(event), content_type="json") == 200
    assert seen["message"] == "because"
    standin.assert_clean()


def test_update_and_delete_only_the_bots_own_messages(standin, client):
    mine = client.chat_postMessage(channel="C0GENERAL", text="draft", blocks=[_section("a")])
    client.chat_update(channel="C0GENERAL", ts=mine["ts"], text="final")
    assert standin.messages("C0GENERAL")[0]["text"] == "final"
    assert standin.messages("C0GENERAL")[0]["blocks"] == [_section("a")]
    theirs = standin.add_message("C0GENERAL", "U0ALICE", "my answer")
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="C0GENERAL", ts=theirs["ts"], text="rewritten")
    assert refused.value.response["error"] == "cant_update_message"
    with pytest.raises(SlackApiError) as missing:
        client.chat_delete(channel="C0GENERAL", ts="1.1")
    assert missing.value.response["error"] == "message_not_found"
    client.chat_delete(channel="C0GENERAL", ts=mine["ts"])
    assert [m["text"] for m in standin.messages("C0GENERAL")] == ["my answer"]


def test_home_views_are_kept_per_user(standin, client):
    home = {"type": "home", "blocks": [_section("Your actions")]}
    client.views_publish(user_id="U0CAROL", view=home)
    assert standin.home("U0CAROL")["blocks"] == home["blocks"]
    assert standin.home("U0BOB") is None
    with pytest.raises(SlackApiError) as too_big:
        client.views_publish(user_id="U0CAROL", view=home | {"blocks": [_section("x")] * 101})
    assert too_big.value.response["error"] == "invalid_arguments"


def test_ephemerals_need_the_user_in_the_channel(standin, client):
    client.chat_postEphemeral(channel="C0GENERAL", user="U0CAROL", text="psst")
    assert [e["text"] for e in standin.ephemerals("U0CAROL")] == ["psst"]
    with pytest.raises(SlackApiError) as outsider:
        client.chat_postEphemeral(channel="C0LESSONS", user="U0CAROL", text="psst")
    assert outsider.value.response["error"] == "user_not_in_channel"


def test_a_trigger_opens_one_modal(standin, client):
    """As Slack: a second views.open with the same trigger id is refused."""
    client.views_open(trigger_id="t-once", view=MODAL)
    with pytest.raises(SlackApiError) as again:
        client.views_open(trigger_id="t-once", view=MODAL)
    assert again.value.response["error"] == "exchanged_trigger_id"
    assert len(standin.open_views) == 1
