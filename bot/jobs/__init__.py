"""What runs outside a request: the outbox of work after each ack (workers, runner, client),
the nudge sweep (nudges), the weekly digest (digest), the owners' time-zone refresh
(timezones) and the scheduler that wakes them.

A request writes its jobs to the database before its ack (storage/outbox.py); `workers`
claims and runs them, `runner` gives each job's function what it asks for and settles the
row, and `client` keeps each job's posts to one per message. It may import bot.publish,
bot.slack (never bot.slack.listeners: after-ack listeners register themselves in
`runner.AFTER_ACK`), bot.runtime, flows/ and storage/; never bot.cli or bot.standin.
"""
