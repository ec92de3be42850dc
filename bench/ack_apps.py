"""The processes bench/ack.py measures: the Slack stand-in, `aarbot run --http` and two bare
Bolt apps, one that only acks and one that stores each request body before its ack.

bench/ack.py starts the stand-in and the bare apps through this file:
    python bench/ack_apps.py standin PORT [--record FILE]
    python bench/ack_apps.py baseline PORT THREADS [--before-response] [--durable URL]
        [--server waitress|gunicorn]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(ROOT))

from bot.runtime.settings import Settings  # noqa: E402
from bot.slack.ids import COMMAND  # noqa: E402

BOT_TOKEN = "xoxb-bench"  # noqa: S105 - the stand-in takes any xoxb- token
HERE = Path(__file__).resolve()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    """A child process serving HTTP on `port`, its output kept in `log`."""

    name: str
    port: int
    popen: subprocess.Popen
    log: Path

    @classmethod
    def start(
        cls,
        name: str,
        args: list[str],
        port: int,
        env: dict[str, str],
        workdir: Path,
        ready_path: str = "/readyz",
    ) -> Process:
        """Start it and wait until GET `ready_path` answers 200."""
        log = workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, *args], env=env, cwd=workdir, stdout=out, stderr=out
            )
        process = cls(name, port, popen, log)
        try:
            process.wait_ready(ready_path)
        except BaseException:
            process.stop()  # never leave a half-started server behind
            raise
        return process

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        """Poll until the process answers 200 on `path`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                sys.exit(f"{self.name} exited early:\n{self.log.read_text(errors='replace')}")
            try:
                url = f"http://127.0.0.1:{self.port}{path}"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"{self.name} did not answer {path} within {timeout:.0f} s")

    def children(self) -> list[int]:
        """The ids of the processes it started (worker processes), theirs too, still running."""
        found: list[int] = []
        waiting = [self.popen.pid]
        while waiting:
            pid = waiting.pop()
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    kids = [int(kid) for kid in task.read_text().split()]
                    found.extend(kids)
                    waiting.extend(kids)
        return found

    def cpu_ticks(self) -> int:
        """User plus system CPU time so far, in clock ticks, its worker processes' included."""
        total = 0
        for pid in (self.popen.pid, *self.children()):
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total

    def memory_mb(self, pid: int | None = None) -> tuple[float, float]:
        """Resident set size now and at its peak (VmRSS, VmHWM), in MB, of it or of `pid`."""
        status = Path(f"/proc/{pid or self.popen.pid}/status").read_text()
        kb = {k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.+)$", status, re.M)}
        return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024

    def wait_idle(self, timeout: float = 180) -> float:
        """Wait until the process stops using CPU (its work after the acks is done); seconds."""
        started = time.monotonic()
        quiet, last = 0, self.cpu_ticks()
        while quiet < 2 and time.monotonic() - started < timeout:
            time.sleep(0.25)
            now = self.cpu_ticks()
            quiet = quiet + 1 if now - last <= 2 else 0
            last = now
        return time.monotonic() - started

    def fail(self, problem: str) -> NoReturn:
        """Stop the run, showing the end of this process's log."""
        tail = self.log.read_text(errors="replace")[-4000:]
        sys.exit(f"{problem}; the end of the {self.name} log:\n{tail}")

    def stop(self) -> None:
        """SIGTERM, then wait for a clean exit."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()


def serve_standin(port: int, record: Path | None = None) -> None:
    """The Slack stand-in as its own process, so its work does not share our GIL.

    With `record`, each Web API call and response_url post is written there as one JSON line
    the moment it arrives: its time (time.time()), the method, and what ties it to the request
    it answers (trigger_id, channel, ts, thread_ts; the response_url's name).
    """
    from bot.standin import SlackStandIn

    class Recording(SlackStandIn):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._out = record.open("a", buffering=1) if record else None
            self._written = threading.Lock()

        def _note(self, line: dict) -> None:
            if self._out is not None:
                text = json.dumps(line, separators=(",", ":"))
                with self._written:
                    self._out.write(text + "\n")

        def answer_api(self, method, args, authorization):
            at = time.time()
            self._note(
                {
                    "t": at,
                    "m": method,
                    **{
                        k: str(args[k])
                        for k in ("trigger_id", "channel", "ts", "thread_ts")
                        if args.get(k)
                    },
                }
            )
            return super().answer_api(method, args, authorization)

        def answer_response(self, name, body):
            self._note({"t": time.time(), "m": "response_url", "name": name})
            return super().answer_response(name, body)

    # Block Kit checks are for tests; here they would only add Slack's side to our 2 cores.
    with Recording(block_checks=False, port=port):
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


def aarbot_server() -> str:
    """The production server `aarbot run --http` uses: "gunicorn" or "waitress"."""
    source = (ROOT / "bot" / "server.py").read_text(encoding="utf-8")
    return "gunicorn" if "gunicorn" in source else "waitress"


def aarbot_acks_in_request_thread() -> bool:
    """Whether aarbot's Bolt app runs listeners before the response (process_before_response)."""
    from bot.runtime.deps import Deps
    from bot.slack.app import build_app
    from storage.db import make_engine

    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret="-")  # noqa: S106
    engine = make_engine("sqlite://")
    try:
        app = build_app(Deps(settings=settings, engine=engine))
        app.listener_runner.listener_executor.shutdown()
        return app.process_before_response
    finally:
        engine.dispose()


def serve_baseline(
    port: int,
    threads: int,
    before_response: bool,
    durable: str | None = None,
    server: str = "waitress",
) -> None:
    """A bare Bolt app whose listeners only ack, on the server `aarbot run --http` uses.

    With `durable` (a database URL), each listener first inserts the request's body into a
    table there and commits, then acks: the floor for an ack that cannot be lost. The engine is
    aarbot's own (storage.db.make_engine: on SQLite WAL, synchronous=NORMAL, a busy timeout).

    It runs Bolt in the same mode as aarbot: with process_before_response the listener runs in
    the HTTP thread; without it Bolt runs it in its executor and polls for the ack every 10 ms.
    """
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt import Ack, App, BoltRequest
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token=BOT_TOKEN, base_url=os.environ["SLACK_API_URL"]),
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=threads),
        process_before_response=before_response,
    )
    store = DurableStore(durable) if durable else None

    def only_ack(ack: Ack) -> None:
        ack()

    def store_then_ack(ack: Ack, request: BoltRequest) -> None:
        assert store is not None
        store.insert(request.raw_body)
        ack()

    listener = store_then_ack if store else only_ack
    app.command(COMMAND)(listener)
    app.action(re.compile(".*"))(listener)
    app.view(re.compile(".*"))(listener)
    app.event("message")(listener)
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/readyz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    serve_wsgi(application, port=port, threads=threads, server=server)


DURABLE_TABLE = "bench_durable_acks"


class DurableStore:
    """Each request body in its own committed transaction; the engine is made on first use,
    in the process that serves (a server may fork after loading the app)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = None
        self._made = threading.Lock()

    def engine(self):
        if self._engine is None:
            with self._made:
                if self._engine is None:
                    from storage.db import make_engine

                    self._engine = make_engine(self.url)
        return self._engine

    def insert(self, body: str) -> None:
        from sqlalchemy import text

        with self.engine().begin() as conn:
            conn.execute(
                text(f"INSERT INTO {DURABLE_TABLE} (body, received_at) VALUES (:body, :at)"),  # noqa: S608
                {"body": body, "at": time.time()},
            )


def create_durable_table(url: str) -> None:
    """The durable bare app's table, new and empty."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {DURABLE_TABLE}"))
            conn.execute(
                text(
                    f"CREATE TABLE {DURABLE_TABLE} (id {serial} PRIMARY KEY, body TEXT NOT NULL, "
                    "received_at DOUBLE PRECISION NOT NULL)"
                )
            )
    finally:
        engine.dispose()


def drop_durable_table(url: str) -> int:
    """Drop it; the number of bodies it held."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            held = conn.execute(text(f"SELECT count(*) FROM {DURABLE_TABLE}")).scalar() or 0  # noqa: S608
            conn.execute(text(f"DROP TABLE IF EXISTS {DURABLE_TABLE}"))
        return int(held)
    finally:
        engine.dispose()


def serve_wsgi(application, *, port: int, threads: int, server: str) -> None:
    """Serve `application` on 127.0.0.1:`port` until SIGTERM, as aarbot serves its own."""
    if server == "gunicorn":
        from gunicorn.app.base import BaseApplication

        class Gunicorn(BaseApplication):
            def load_config(self) -> None:
                options = {
                    "bind": f"127.0.0.1:{port}",
                    # As many processes as aarbot gets (AARBOT_WEB_PROCESSES, `--processes`).
                    "workers": int(os.environ.get("AARBOT_WEB_PROCESSES") or 1),
                    "worker_class": "gthread",
                    "threads": threads,
                    "backlog": 256,
                    "timeout": 60,
                    "keepalive": 30,
                    "graceful_timeout": 5,
                    "loglevel": "warning",
                }
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        Gunicorn().run()
        return
    from waitress import create_server

    served = create_server(
        application, host="127.0.0.1", port=port, threads=threads, backlog=256, channel_timeout=30
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    served.run()


def clean_env(**values: str) -> dict[str, str]:
    """Our environment without any aarbot or Slack settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | values


def start_standin(env: dict[str, str], workdir: Path, record: Path | None = None) -> Process:
    """The stand-in, on a free port; with `record`, it writes each call it gets there."""
    port = free_port()
    args = [str(HERE), "standin", str(port)]
    if record is not None:
        args += ["--record", str(record)]
    return Process.start("standin", args, port, env, workdir, ready_path="/api/api.test")


def start_aarbot(env: dict[str, str], workdir: Path) -> Process:
    """`aarbot run --http` (bot.cli.main is the `aarbot` console script), scheduler on."""
    port = free_port()
    args = ["-m", "bot.cli.main", "run", "--http", "--port", str(port)]
    return Process.start("aarbot", args, port, env, workdir)


def start_baseline(
    env: dict[str, str],
    workdir: Path,
    *,
    threads: int,
    before_response: bool,
    durable: str | None = None,
    server: str = "waitress",
    name: str = "baseline",
) -> Process:
    """A bare Bolt app, with as many threads as aarbot and its listeners run the same way."""
    port = free_port()
    args = [str(HERE), "baseline", str(port), str(threads), "--server", server]
    if before_response:
        args.append("--before-response")
    if durable:
        args += ["--durable", durable]
    return Process.start(name, args, port, env, workdir)


def main() -> None:
    """Serve the stand-in or a bare app until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="app", required=True)
    standin = sub.add_parser("standin")
    standin.add_argument("port", type=int)
    standin.add_argument("--record", type=Path)
    baseline = sub.add_parser("baseline")
    baseline.add_argument("port", type=int)
    baseline.add_argument("threads", type=int)
    baseline.add_argument("--before-response", action="store_true")
    baseline.add_argument("--durable", metavar="URL")
    baseline.add_argument("--server", choices=["waitress", "gunicorn"], default="waitress")
    args = parser.parse_args()
    if args.app == "standin":
        serve_standin(args.port, args.record)
    else:
        serve_baseline(
            args.port, args.threads, args.before_response, durable=args.durable, server=args.server
        )


if __name__ == "__main__":
    main()
