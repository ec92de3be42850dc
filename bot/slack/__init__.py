"""Speaking Slack: the Bolt app and its middleware, listeners/ (one module per kind of
request), blocks/ (every message, modal and Home view, as Block Kit), ids (action, block and
callback ids), errors (what a person is told when something fails), install (OAuth),
clients (the WebClient per team), channels and people (what Slack says of a channel or a
person, cached), scopes and idempotency (a submission applied once).

It may import bot.runtime (settings, deps, logs), bot.jobs (to leave work for after the ack)
and bot.publish, flows/ and storage/; never bot.cli or bot.standin. blocks/ imports only
bot.slack.ids and its own modules: drawing never reads the database or calls Slack.
"""
