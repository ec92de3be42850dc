"""Putting things into Slack: a review's message and thread (posting), its Home tabs
(home), its "What we learned" cards (cards), repeat notices (repeats) and the drafts still
waiting to be posted (drafts).

Called by listeners and jobs. It may import bot.slack (ids, blocks, clients, channels),
bot.runtime, flows/ and storage/; never bot.slack.listeners, bot.jobs, bot.cli or
bot.standin.
"""
