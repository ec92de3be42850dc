"""The work after each ack: outbox workers, the job runner and the client jobs talk through.

A request writes its jobs to the database before its ack (storage/outbox.py); `workers`
claims and runs them, `runner` gives each job's function what it asks for and settles the
row, and `client` keeps each job's posts to one per message. It may import storage/, flows/
and the rest of bot/, never bot.listeners (whose after-ack listeners register themselves in
`runner.AFTER_ACK`).
"""
