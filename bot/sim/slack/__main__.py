"""``python -m bot.sim.slack --port N``: run a standalone simulator until interrupted.

The first line printed is the API URL; the next lines are ``export`` lines for the Slack
settings, so ``SLACK_API_URL`` and the tokens can be pasted into another shell.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from bot.sim.slack.server import SlackSimulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sim.slack", description="Run the built-in Slack simulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 picks one)")
    parser.add_argument(
        "--posts-per-second",
        type=float,
        default=None,
        help="rate-limit chat posts per channel, as Slack does (about 1)",
    )
    return parser


async def serve(
    *,
    host: str,
    port: int,
    posts_per_second: float | None = None,
    stop: asyncio.Event | None = None,
    out: TextIO = sys.stdout,
) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM arrives)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    sim = SlackSimulator(posts_per_second=posts_per_second)
    await sim.start(host=host, port=port)
    try:
        config = sim.config
        print(sim.api_url, file=out)
        print(f"export SLACK_API_URL={sim.api_url}", file=out)
        print(f"export SLACK_BOT_TOKEN={config.bot_token}", file=out)
        print(f"export SLACK_APP_TOKEN={config.app_token}", file=out)
        print(f"export SLACK_SIGNING_SECRET={config.signing_secret}", file=out, flush=True)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    asyncio.run(serve(host=args.host, port=args.port, posts_per_second=args.posts_per_second))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
