"""The worker process of `aarbot run`: the work after each ack, away from the acks.

`aarbot run` starts it (bot/handoff.py `InWorkerProcess`) with the same environment and
writes it one job per line on its stdin. It runs them in a pool of AARBOT_WORKERS threads,
through an app built like the server's. A server shutting down cleanly ends with END: the
worker finishes every job, then exits. A stdin that closes without END (the server was
killed, or stopped by a second signal) lets only the running jobs finish.

It runs at a lower CPU priority than the server, so under load the work waits for the acks
instead of slowing them down; on an idle machine it runs at full speed all the same. It is
niced rather than SCHED_IDLE: a job holding a database lock must still get some CPU while the
server is busy, or the server's own writes (a modal's answers) would wait on it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

NICENESS = 19  # added to the server's niceness: the lowest priority short of SCHED_IDLE

log = logging.getLogger("aarbot.worker")


def main() -> int:
    """Run jobs from stdin until it closes."""
    # The server decides when this stops (by closing stdin), so a signal sent to the whole
    # process group, such as Ctrl-C or systemd's stop, lets the server drain first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(NICENESS)

    from bot import logs
    from bot.app import build_app
    from bot.cli_support import engine_for
    from bot.deps import Deps
    from bot.handoff import END, InThreads
    from bot.settings import load_settings

    settings = load_settings()  # the server checked them; it passed on its environment
    logs.configure(level=settings.log_level, fmt=settings.log_format)
    engine = engine_for(settings)
    deps = Deps.from_settings(settings, engine)
    pool = InThreads(
        ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="aarbot-worker")
    )
    build_app(deps, handoff=pool)
    log.info("worker process ready, %d threads", settings.workers)
    ended = False
    try:
        for line in sys.stdin.buffer:
            try:
                job = json.loads(line)
            except ValueError:
                log.error("a job that is not JSON was skipped: %r", line[:200])
                continue
            if job == END:
                ended = True
                break
            pool.send(job)
    finally:
        if not ended:
            log.warning("the server stopped without finishing: only the running jobs finish")
        pool.close(finish_queued=ended)
        engine.dispose()
        log.info("worker process stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
