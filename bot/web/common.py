"""What every route shares: the error body and a size-limited read."""

from __future__ import annotations

import json

from aiohttp import web


def problem(status: int, reason: str, **extra: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason, **extra}, status=status)


async def read_body(request: web.Request, *, limit: int) -> bytes:
    """The whole body, or HTTP 413 (with the same JSON reason as :func:`problem`) as soon as it
    is known to exceed ``limit``."""
    too_big = web.HTTPRequestEntityTooLarge(
        max_size=limit,
        actual_size=request.content_length or 0,
        text=json.dumps({"ok": False, "error": f"body over the {limit} byte limit"}),
        content_type="application/json",
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)
