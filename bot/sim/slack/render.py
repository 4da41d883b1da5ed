"""The simulator's state in Slack's JSON shapes, as the Web API returns them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.sim.slack.config import SimConfig
from bot.sim.slack.models import JsonDict, SimChannel, SimMessage, SimUser, SimUserGroup


def message_json(message: SimMessage, *, config: SimConfig) -> JsonDict:
    body: JsonDict = {"type": "message", "text": message.text, "ts": message.ts}
    if message.bot_id is not None:
        body.update(
            bot_id=message.bot_id,
            app_id=config.api_app_id,
            bot_profile={
                "id": message.bot_id,
                "app_id": config.api_app_id,
                "name": config.bot_name,
                "team_id": config.team_id,
                "deleted": False,
            },
        )
    if message.user is not None:
        body["user"] = message.user
    body["team"] = config.team_id
    if message.blocks:
        body["blocks"] = message.blocks
    if message.attachments:
        body["attachments"] = message.attachments
    if message.thread_ts is not None:
        body["thread_ts"] = message.thread_ts
    if message.reply_count:
        body.update(
            reply_count=message.reply_count,
            reply_users=list(message.reply_users),
            reply_users_count=len(message.reply_users),
            latest_reply=message.latest_reply,
        )
    if message.edited is not None:
        body["edited"] = {"user": message.user or message.bot_id, "ts": message.edited}
    if message.files:
        body["files"] = [{"id": file_id} for file_id in message.files]
    if message.reactions:
        body["reactions"] = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in message.reactions.items()
        ]
    if message.metadata is not None:
        body["metadata"] = message.metadata
    return body


def channel_json(channel: SimChannel, *, config: SimConfig) -> JsonDict:
    if channel.is_im:
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.im_user,
            "is_user_deleted": False,
            "priority": 0,
        }
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private and not channel.is_mpim,
        "is_group": channel.is_private and not channel.is_mpim,
        "is_im": False,
        "is_mpim": channel.is_mpim,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": False,
        "is_general": False,
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": config.team_id,
        "creator": config.bot_user_id,
        "is_member": channel.is_member,
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
        "num_members": len(channel.members) + (1 if channel.is_member else 0),
    }


def user_json(user: SimUser, *, config: SimConfig, now: float) -> JsonDict:
    zone = ZoneInfo(user.tz)
    local = datetime.fromtimestamp(now, tz=UTC).astimezone(zone)
    offset = local.utcoffset()
    profile: JsonDict = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "status_text": "",
        "status_emoji": "",
        "avatar_hash": "sim",
        "team": config.team_id,
    }
    if user.email is not None:
        profile["email"] = user.email
    if user.is_bot:
        profile["bot_id"] = config.bot_id
    return {
        "id": user.id,
        "team_id": config.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": local.tzname() or user.tz,
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(now),
    }


def usergroup_json(group: SimUserGroup, *, config: SimConfig, include_users: bool) -> JsonDict:
    body: JsonDict = {
        "id": group.id,
        "team_id": config.team_id,
        "is_usergroup": True,
        "name": group.name,
        "description": group.description,
        "handle": group.handle,
        "is_external": False,
        "date_create": 0,
        "date_update": 0,
        "date_delete": 0,
        "auto_type": None,
        "created_by": config.bot_user_id,
        "updated_by": config.bot_user_id,
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "user_count": len(group.users),
    }
    if include_users:
        body["users"] = list(group.users)
    return body
