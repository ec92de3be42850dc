"""The `aarbot` command: main (the subcommands), nudges and jobs (their admin commands),
support (what several commands share), doctor, demo and demo_render (the transcript), and
render_export (export as Markdown or CSV).

The top of the tree: it may import every other room; nothing imports it.
"""
