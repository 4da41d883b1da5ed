"""files.getUploadURLExternal and files.completeUploadExternal.

The upload URL is served by the simulator itself (``{base_url}/upload/<file id>``) and takes
the raw bytes, as Slack's ``files.slack.com/upload/v1/...`` URLs do.
"""

from __future__ import annotations

from bot.sim.slack.errors import ApiError
from bot.sim.slack.methods.base import (
    MethodContext,
    MethodSpec,
    Params,
    blocks_arg,
    channel_for_bot,
    missing_argument,
    text_arg,
    thread_root,
)
from bot.sim.slack.models import JsonDict, SimFile, SimMessage


def get_upload_url(ctx: MethodContext, params: Params) -> JsonDict:
    filename = text_arg(params, "filename")
    if filename is None:
        raise missing_argument("filename")
    length = text_arg(params, "length")
    if length is None or not length.isdigit():
        raise missing_argument("length")
    file = SimFile(id=ctx.workspace.new_id("F"), name=filename, title=filename, length=int(length))
    ctx.workspace.files[file.id] = file
    return {"ok": True, "upload_url": f"{ctx.base_url}/upload/{file.id}", "file_id": file.id}


def complete_upload(ctx: MethodContext, params: Params) -> JsonDict:
    entries = params.get("files")
    if not isinstance(entries, list) or not entries:
        raise missing_argument("files")
    files: list[SimFile] = []
    for entry in entries:
        file = ctx.workspace.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if file is None or file.content is None:
            raise ApiError("file_not_found")
        if isinstance(entry, dict) and entry.get("title"):
            file.title = str(entry["title"])
        files.append(file)
    channel_ref = text_arg(params, "channel_id") or text_arg(params, "channels")
    if channel_ref is not None:
        params = {**params, "channel": channel_ref.split(",")[0]}
        channel = channel_for_bot(ctx, params)
        thread_ts = thread_root(ctx, channel, params)
        comment = text_arg(params, "initial_comment")
        ctx.workspace.post(
            SimMessage(
                channel=channel.id,
                ts=ctx.workspace.next_ts(),
                text=comment or "",
                blocks=blocks_arg(params) or [],
                user=ctx.config.bot_user_id,
                bot_id=ctx.config.bot_id,
                thread_ts=thread_ts,
                files=[f.id for f in files],
            )
        )
        for file in files:
            file.channels.append(channel.id)
            file.thread_ts, file.initial_comment = thread_ts, comment
            ctx.workspace.share_file(file, channel=channel.id)
    for file in files:
        file.completed = True
    return {
        "ok": True,
        "files": [{"id": f.id, "title": f.title, "name": f.name, "size": f.length} for f in files],
    }


METHODS = {
    "files.getUploadURLExternal": MethodSpec(get_upload_url),
    "files.completeUploadExternal": MethodSpec(complete_upload),
}
