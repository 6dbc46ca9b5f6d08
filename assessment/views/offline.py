"""The offline route: the questionnaire downloaded as .xlsx, filled in Excel, uploaded back.

An upload is all or nothing: every error is listed by sheet and cell and nothing changes
until the whole workbook is valid; then the answers that differ from the ones the file was
made with (its hidden sheet) are saved in one strict save based on the version it was
downloaded at, merged per indicator: a cell whose answer was also changed on the website
since is a conflict, reported by sheet and cell with both values, and nothing is saved."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from reports.questionnaire_xlsx import (answer_cells, base_fingerprint,
                                        build_questionnaire_workbook,
                                        parse_questionnaire_workbook, read_base, read_meta)
from scoring.answers import answer_text

from .. import text
from ..extensions import db
from ..transaction import attempt
from ..formatting import datetime_in_zones
from ..operations import Conflict, Invalid, OperationError
from ..operations.answers import save_answers
from ..operations.editability import takes_part
from ..operations.merge import state_of
from ..operations.season import period_state
from ..operations.questionnaire import get_or_create_submission, get_submission
from ..permissions import operator_unit
from ..rubric_store import rubric_for
from .questionnaire import question_numbers
from ..spreadsheets import XLSX, SpreadsheetError, check_zip
from ..forms.offline import UploadForm
from .lookups import period_or_404

bp = Blueprint("offline", __name__, url_prefix="/kuesioner")


def _own(period_slug: str):
    """The period, the operator's own unit (403 for anyone else) and its submission."""
    period = period_or_404(period_slug)
    unit = operator_unit(current_user)
    if unit is None or not takes_part(period, unit):
        abort(403)
    return period, unit, get_submission(db.session, period, unit.code)


@bp.route("/<period_slug>/excel")
@login_required
def download(period_slug):
    period, unit, sub = _own(period_slug)
    with force_locale("id"):   # the workbook is in Indonesian whatever the page language
        deadline = datetime_in_zones(period_state(period).unit(unit, sub).until, unit.time_zone)
    data = build_questionnaire_workbook(
        rubric_for(period), (sub.answers if sub else None) or {}, unit_code=unit.code,
        unit_name=unit.name, period_slug=period.slug, period_title=period.title,
        version=sub.version if sub else 1, deadline=deadline,
        pending={key: entry.get("raw", "") for key, entry in ((sub.pending if sub else None)
                                                                or {}).items()})
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"kuesioner-{period.slug}-{unit.code}.xlsx", max_age=0)


@bp.route("/<period_slug>/excel", methods=["POST"])
@bp.route("/<period_slug>/excel/unggah", methods=["GET", "POST"])
@login_required
def upload(period_slug):
    period, unit, sub = _own(period_slug)
    form = UploadForm()
    refused = period_state(period).unit(unit, sub).refusal
    if refused is not None:
        return _page(period, unit, form, refused=refused.message,
                     status=refused.status if request.method == "POST" else 200)
    try:
        if not form.validate_on_submit():
            return _page(period, unit, form, status=422 if request.method == "POST" else 200)
    except RequestEntityTooLarge:
        return _page(period, unit, form, errors=[_whole(_too_large())], status=413)
    answers, version, errors = _read_upload(form.file.data, period, unit)
    if errors:
        return _page(period, unit, form, errors=errors, status=422)
    changes, base = dict(answers), read_base_answers(form.file.data)
    if base is not None:   # only the cells that differ from the values it was made with
        changes = {k: v for k, v in answers.items() if base.get(k) != base_fingerprint(v)}
    try:
        with attempt():
            sub = sub or get_or_create_submission(db.session, period, unit.code, current_user)
            written = [k for k in changes if state_of(sub, k) != changes[k]]
            save_answers(db.session, sub, changes, {}, version, current_user, strict=True,
                         source="xlsx")
    except OperationError as exc:
        return _refused(period, unit, form, exc)
    _flash_imported(rubric_for(period), written)
    return redirect(url_for("questionnaire.overview", period_slug=period.slug))


def read_base_answers(storage) -> dict | None:
    storage.stream.seek(0)
    return read_base(storage.stream.read())


def _flash_imported(rubric, written: list) -> None:
    """The import summary: how many answers changed, named by question number (2.1)."""
    if not written:
        flash(_("The workbook was imported: no answer differs from the questionnaire, so "
                "nothing changed."), "info")
        return
    numbers = question_numbers(rubric)
    names = ", ".join(sorted((numbers[k] for k in written),
                             key=lambda n: tuple(int(p) for p in n.split("."))))
    flash(ngettext("The workbook was imported: %(num)d answer changed (%(questions)s).",
                   "The workbook was imported: %(num)d answers changed (%(questions)s).",
                   len(written), questions=names), "success")


def _read_upload(storage, period, unit):
    """(answers, version, []) from a valid workbook, or (None, None, error rows)."""
    limit = int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
    data = storage.read(limit + 1)
    if len(data) > limit:
        return None, None, [_whole(_too_large())]
    try:
        check_zip(data)
    except SpreadsheetError as exc:
        return None, None, [_whole(_("The file was refused: %(reason)s.", reason=str(exc)))]
    answers, problems = parse_questionnaire_workbook(
        data, rubric_for(period), period_slug=period.slug, unit_code=unit.code,
        max_rows=current_app.config.get("XLSX_MAX_ROWS", 5000))
    if problems:
        numbers = question_numbers(rubric_for(period))
        return None, None, [{"sheet": e.sheet, "cell": e.cell,
                             "indicator": numbers.get(e.indicator_id, e.indicator_id),
                             "message": _refused_value(_(e.msgid, **e.params), e.value)}
                            for e in problems]
    answers, problems = _checked_text(answers, period)
    if problems:
        return None, None, problems
    return answers, read_meta(data).version, []


def _checked_text(answers: dict, period) -> tuple[dict, list[dict]]:
    """The workbook's answers through text.py's one check (no lone surrogates or control
    characters, NFC), each refusal naming its sheet and cell."""
    checked, refused = {}, []
    for key, value in answers.items():
        try:
            checked[key] = text.clean_json(value, key)
        except text.TextInvalid as exc:
            refused.append((key, _("The text of this cell %(reason)s. Remove it and upload "
                                   "the workbook again.", reason=exc.reason)))
    return checked, _cell_errors(period, refused)


def _cell_errors(period, messages) -> list[dict]:
    """Error rows for (indicator id, message) pairs, each naming the sheet and cell of the
    indicator's answer and its question number."""
    cells, numbers = answer_cells(rubric_for(period)), question_numbers(rubric_for(period))
    return [{"sheet": cells.get(key, ("", ""))[0], "cell": cells.get(key, ("", ""))[1],
             "indicator": numbers.get(key, key), "message": message}
            for key, message in messages]


def _refused(period, unit, form, exc: OperationError):
    if isinstance(exc, Conflict) and isinstance(exc.details, dict) and "conflicts" in exc.details:
        rows = _cell_errors(period, [
            (row["indicator"],
             _("Changed on the website since this file was downloaded. In this file: "
               "%(yours)s; on the website now: %(theirs)s. Nothing was imported: make the cell "
               "hold the answer to keep (or download the questionnaire again) and upload it "
               "again.", yours=_value(row["yours"]), theirs=_value(row["theirs"])))
            for row in exc.details["conflicts"]])
        return _page(period, unit, form, errors=[_whole(exc.message)] + rows, status=exc.status)
    if isinstance(exc, Invalid) and isinstance(exc.details, dict):
        return _page(period, unit, form, errors=_cell_errors(period, exc.details.items()),
                     status=exc.status)
    return _page(period, unit, form, refused=exc.message, status=exc.status)


def _refused_value(message: str, value: str) -> str:
    """A cell's error with the value it refused repeated, so it can be found and corrected."""
    if not (value or "").strip():
        return message
    return _("%(message)s (the cell holds %(value)s)", message=message,
             value=f"\u201c{value.strip()[:200]}\u201d")


def _value(value) -> str:
    text = answer_text(value)
    return f"\u201c{text}\u201d" if text else _("(empty)")


def _whole(message: str) -> dict:
    return {"sheet": "", "cell": "", "indicator": "", "message": message}


def _too_large() -> str:
    return _("The file is larger than %(mb)s MB; nothing was imported.",
             mb=f"{float(current_app.config['MAX_UPLOAD_MB']):g}")


def _page(period, unit, form, errors=(), refused=None, status=200):
    return render_template(
        "offline/upload.html", period=period, unit=unit, form=form, errors=list(errors),
        refused=refused, closes_at=period_state(period).closes_for(unit.code),
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"]), status
