"""A bare slack-bolt AsyncApp on aiohttp that acks /release with an empty body: the baseline.

Run as ``python bench/baseline_app.py --port N [--process-before-response]``.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build(
    *, signing_secret: str, token: str, api_url: str, process_before_response: bool
) -> web.Application:
    bolt = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(token=token, base_url=api_url),
        process_before_response=process_before_response,
    )

    @bolt.command("/release")
    async def release(ack):  # type: ignore[no-untyped-def]
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--signing-secret", default="bench-signing-secret")
    parser.add_argument("--token", required=True)
    parser.add_argument("--api-url", required=True, help="the Slack simulator's Web API URL")
    parser.add_argument("--process-before-response", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = build(
        signing_secret=args.signing_secret,
        token=args.token,
        api_url=args.api_url,
        process_before_response=args.process_before_response,
    )
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
