"""The monitoring API (issue 16): a unit's channels, logged posts and activities, and its
weekly activity."""
from __future__ import annotations

from flask import g, jsonify, request

from ..extensions import db
from ..operations import monitor as ops
from ..permissions import can_edit_channels, can_view_unit
from .core import ApiError, bp, find_unit, json_body

UNIT = "/units/<code>"


def body_of(required: dict, optional: dict) -> dict:
    """The JSON object with the required fields and the optional ones (null allowed, None
    when left out), and no others."""
    body = json_body(required, optional, nullable=True)
    return {key: body.get(key) for key in required | optional}


def channel_json(channel) -> dict:
    return {"id": channel.id, "unit": channel.unit_code, "kind": channel.kind, "url": channel.url,
            "feed_url": channel.feed_url, "status": channel.status, "error": channel.error,
            "fetched_at": ops._iso(channel.fetched_at)}


@bp.get(UNIT + "/channels")
def list_channels(code):
    unit = find_unit(code, can_view_unit)
    return jsonify(channels=[channel_json(c) for c in ops.channels_of(db.session, unit)])


@bp.post(UNIT + "/channels")
def add_channel(code):
    unit = find_unit(code, can_edit_channels)
    body = body_of({"kind": str, "url": str}, {"feed_url": str})
    channel = ops.add_channel(db.session, unit, body["kind"], body["url"], body["feed_url"],
                              user=g.api_user)
    return jsonify(channel_json(channel)), 201


@bp.delete(UNIT + "/channels/<int:channel>")
def remove_channel(code, channel):
    unit = find_unit(code, can_edit_channels)
    number, channel = channel, ops.find_channel(db.session, unit, channel)
    if channel is None:
        raise ApiError(404, "not_found", f"Unit {code} has no channel {number}.")
    ops.remove_channel(db.session, channel, user=g.api_user)
    return "", 204


@bp.post(UNIT + "/posts")
def log_post(code):
    unit = find_unit(code, can_edit_channels)
    body = body_of({"url": str, "published": str}, {"title": str, "channel_id": int})
    item, created = ops.log_post(db.session, unit, body["url"], body["published"], body["title"],
                                 body["channel_id"], user=g.api_user)
    return jsonify(id=item.id, channel_id=item.channel_id, url=item.link, title=item.title,
                   published=ops._iso(item.published_at), created=created), 201 if created else 200


@bp.post(UNIT + "/activities")
def add_activity(code):
    unit = find_unit(code, can_edit_channels)
    body = body_of({"date": str, "title": str}, {"item_url": str, "kind": str})
    activity = ops.add_activity(db.session, unit, body["date"], body["title"],
                                body["kind"] or "external", body["item_url"], user=g.api_user)
    return jsonify(id=activity.id, date=activity.day.isoformat(), title=activity.title,
                   kind=activity.kind, item_id=activity.item_id), 201


@bp.get(UNIT + "/activity")
def show_activity(code):
    unit = find_unit(code, can_view_unit)
    if "from" not in request.args or "to" not in request.args:
        start, end = ops.default_range(unit)
    else:
        start, end = ops.checked_range(request.args["from"], request.args["to"])
    return jsonify(ops.unit_activity(db.session, unit, start, end).as_json())
