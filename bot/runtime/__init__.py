"""The process: settings (every environment variable, checked), deps (what a request or job
is given), logs (one line per event, with the request id), web (the WSGI front door that
verifies each request before Bolt) and server (gunicorn, Socket Mode, `aarbot worker`).

It may import bot.slack and bot.jobs (the server runs the app and the workers); never
bot.cli or bot.standin.
"""
