"""Evidence for an indicator: links (http/https only) and uploaded files (type told from
the content, stored under generated names).

A stored file is moved into place when the transaction that adds its row commits, and
removed from disk when the transaction that deletes its row commits. Adding or removing
evidence changes its indicator (``merge.stamp``: a new version) (snapshots and the
audit log keep its name, size and sha256, not the file)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _

from .. import audit, uploads
from ..models import Evidence, Submission
from ..rubric_store import rubric_for
from . import Invalid
from .editability import check_editable
from .merge import stamp

MAX_PER_INDICATOR = 20
MAX_URL = 2000


def check_url(url: str) -> str:
    """The link cleaned up, or Invalid: only http and https addresses with a host."""
    url = (url or "").strip()
    if not url:
        raise Invalid(_("Enter a link."))
    if len(url) > MAX_URL:
        raise Invalid(_("The link is too long (at most %(num)d characters).", num=MAX_URL))
    if re.search(r"[\x00-\x20\x7f]", url):
        raise Invalid(_("A link cannot contain spaces or control characters."))
    try:
        parts = urlsplit(url)
    except ValueError:
        raise Invalid(_("This is not a valid link.")) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(_("Only links starting with http:// or https:// are accepted."))
    if not parts.hostname:
        raise Invalid(_("The link has no web address (host)."))
    return url


def _indicator(sub: Submission, indicator_id: str):
    rubric = rubric_for(sub.period)
    if not rubric.has_indicator(indicator_id):
        raise Invalid(_("Unknown indicator."), details={"indicator": indicator_id})
    indicator = rubric.indicator(indicator_id)
    if indicator.evidence == "none":
        raise Invalid(_("This question takes no evidence."), details={"indicator": indicator_id})
    count = sum(1 for ev in sub.evidence if ev.indicator_id == indicator_id)
    if count >= MAX_PER_INDICATOR:
        raise Invalid(_("At most %(num)d pieces of evidence per question.", num=MAX_PER_INDICATOR))
    return indicator


def add_link(session, sub: Submission, indicator_id: str, url: str, user) -> Evidence:
    """Attach a link to an indicator of an editable questionnaire."""
    check_editable(sub)
    _indicator(sub, indicator_id)
    url = check_url(url)
    ev = Evidence(submission_id=sub.id, indicator_id=indicator_id, kind="link", url=url,
                  created_by=getattr(user, "id", None))
    return _added(session, sub, ev, user, url=url)


def kept_link(url: str, error: str) -> dict:
    """How a link refused as invalid (``check_url``) is kept in ``Submission.pending_links``
    with its message, like an invalid answer in ``pending``: shown again in its field,
    marked, and blocking submission until fixed."""
    return {"raw": url[:MAX_URL + 1], "error": error}


def drop_invalid_link(sub: Submission, indicator_id: str) -> None:
    """Forget the kept invalid link of an indicator (fixed, or emptied by the person)."""
    if indicator_id in (sub.pending_links or {}):
        kept = dict(sub.pending_links)
        kept.pop(indicator_id)
        sub.pending_links = kept


def link_message(entry: dict | None) -> str:
    """Why a kept link is not valid, in the current language."""
    try:
        check_url((entry or {}).get("raw") or "")
    except Invalid as exc:
        return exc.message
    return (entry or {}).get("error") or _("This is not a valid link.")


def store_upload(data: bytes, *, upload_dir: str, max_bytes: int) -> uploads.StoredFile:
    """An uploaded file (evidence, an objection's attachment) checked by its size and
    content and stored; Invalid, with the reason for people, when it is refused."""
    if len(data) > max_bytes:
        raise Invalid(uploads.too_big(max_bytes))
    try:
        return uploads.store(upload_dir, data)
    except uploads.UploadError as exc:
        raise Invalid(str(exc)) from None


def add_file(session, sub: Submission, indicator_id: str, filename: str, data: bytes, user, *,
             upload_dir: str, max_bytes: int) -> Evidence:
    """Check an uploaded file by its content and size, store it and attach it."""
    check_editable(sub)
    _indicator(sub, indicator_id)
    stored = store_upload(data, upload_dir=upload_dir, max_bytes=max_bytes)
    ev = Evidence(submission_id=sub.id, indicator_id=indicator_id, kind="file",
                  filename=uploads.display_name(filename, stored.kind),
                  stored_name=stored.stored_name, content_type=stored.content_type,
                  size=stored.size, sha256=stored.sha256, created_by=getattr(user, "id", None))
    return _added(session, sub, ev, user, filename=ev.filename, size=ev.size, sha256=ev.sha256,
                  content_type=ev.content_type)


def _added(session, sub: Submission, ev: Evidence, user, **detail) -> Evidence:
    session.add(ev)
    sub.evidence.append(ev)
    stamp(sub, [ev.indicator_id], user)
    session.flush()
    audit.record("evidence.add", ev, user=user, period_id=sub.period_id, unit_code=sub.unit_code,
                 submission=sub.id, indicator=ev.indicator_id, kind=ev.kind, **detail)
    return ev


def delete_evidence(session, ev: Evidence, user) -> None:
    """Remove a piece of evidence from an editable questionnaire."""
    sub = ev.submission
    check_editable(sub)
    audit.record("evidence.delete", ev, user=user, period_id=sub.period_id,
                 unit_code=sub.unit_code, submission=sub.id, indicator=ev.indicator_id,
                 kind=ev.kind, url=ev.url, filename=ev.filename, sha256=ev.sha256)
    sub.evidence.remove(ev)
    stamp(sub, [ev.indicator_id], user)
    session.delete(ev)
    session.flush()
    if ev.kind == "file" and ev.stored_name:
        uploads.remove_after_commit(ev.stored_name)
