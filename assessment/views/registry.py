"""The unit registry and the rubric editions, for administrators: view and search the
registry, import a .csv/.xlsx with a preview of the changes before anything is applied
(all or nothing), list rubric editions with the periods that use each, check an edition
(as ``run.py rubric check``) and load it."""
from __future__ import annotations

import base64
import binascii
import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from rubrics import RubricError, parse_rubric

from .. import audit
from ..extensions import db
from ..models import RubricEdition
from ..navigation import ADMINISTRATION, nav
from ..operations.registry import rubric_editions, unit_search
from ..registry import RegistryError, import_units
from ..registry_changes import preview
from ..rubric_store import store_rubric
from ..transaction import attempt
from ..forms.registry import ApplyForm, SearchForm, UploadForm
from .lookups import query_page
from .access import admins_only

bp = Blueprint("registry", __name__, url_prefix="/admin")
admins_only(bp)
nav("registry.units", _l("Work units"), roles=("admin",), order=75, group=ADMINISTRATION)
nav("registry.rubrics", _l("Rubric editions"), roles=("admin",), order=76, group=ADMINISTRATION)

PAGE_SIZE = 50
MAX_FILE = 5 * 1024 * 1024


def _upload(form: UploadForm) -> tuple[str, bytes] | None:
    storage = form.file.data
    name = (storage.filename or "").rsplit("/", 1)[-1][:200]
    data = storage.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        form.file.errors.append(_("The file is larger than 5 MB."))
        return None
    return name, data


# ---- the registry ----------------------------------------------------------------------------

@bp.route("/satker/")
def units():
    form = SearchForm(request.args)
    text = (form.q.data or "").strip() if form.validate() else ""
    page = query_page(unit_search(text), PAGE_SIZE)
    return render_template("admin/units.html", form=form, page=page, q=text)


@bp.route("/satker/impor", methods=["GET", "POST"])
def import_registry():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("admin/units_import.html", form=form), 422 if form.errors else 200
    upload = _upload(form)
    if upload is None:
        return render_template("admin/units_import.html", form=form), 422
    name, data = upload
    if not name.lower().endswith((".csv", ".xlsx")):
        form.file.errors.append(_("Give a .csv or .xlsx file."))
        return render_template("admin/units_import.html", form=form), 422
    try:
        changes = preview(db.session, name, data)
    except RegistryError as exc:
        return render_template("admin/units_import.html", form=form,
                               problems=str(exc).splitlines()), 422
    apply = ApplyForm(formdata=None, filename=name, payload=base64.b64encode(data).decode(),
                      sha256=hashlib.sha256(data).hexdigest())
    return render_template("admin/units_import.html", form=form, changes=changes, apply=apply,
                           filename=name)


@bp.route("/satker/terapkan", methods=["POST"])
def apply_registry():
    form = ApplyForm()
    try:
        data = base64.b64decode(form.payload.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    if not form.validate_on_submit() or hashlib.sha256(data).hexdigest() != form.sha256.data:
        abort(400)
    try:
        with attempt():
            added, updated = import_units(db.session, form.filename.data, data)
            audit.record("units.import", None, file=form.filename.data, added=added,
                         updated=updated, sha256=form.sha256.data)
    except RegistryError as exc:   # the registry changed since the preview
        flash(_("Nothing was imported: %(problems)s", problems=str(exc)), "danger")
        return redirect(url_for(".import_registry"))
    flash(_("%(file)s: %(added)d units added, %(updated)d updated.", file=form.filename.data,
            added=added, updated=updated), "success")
    return redirect(url_for(".units"))


# ---- rubric editions -------------------------------------------------------------------------

@bp.route("/rubrik/", methods=["GET", "POST"])
def rubrics():
    form = UploadForm()
    checked = problems = None
    if form.validate_on_submit():
        upload = _upload(form)
        if upload is not None:
            checked, problems = _check_or_load(*upload, load=request.form.get("action") == "load")
            if checked is not None and request.form.get("action") == "load" and not problems:
                return redirect(url_for(".rubrics"))
    editions, used = rubric_editions(db.session)
    status = 422 if problems or form.errors else 200
    return render_template("admin/rubrics.html", form=form, editions=editions, used=used,
                           checked=checked, problems=problems), status


def _check_or_load(name: str, data: bytes, *, load: bool):
    """(the parsed rubric, None) or (None, problems): problems name the file and the place."""
    try:
        rubric = parse_rubric(data, source=name)
    except RubricError as exc:
        return None, str(exc).splitlines()
    if not load:
        return rubric, None
    existing = db.session.get(RubricEdition, rubric.id)
    try:
        with attempt():
            edition = store_rubric(db.session, data, name)
    except ValueError as exc:          # the id is taken by other content
        return None, [str(exc)]
    if existing is None:
        audit.record("rubric.load", edition, rubric=edition.id, sha256=edition.sha256, file=name)
        flash(_("Rubric %(id)s loaded.", id=edition.id), "success")
    else:
        flash(_("Rubric %(id)s is already loaded with identical content; nothing changed.",
                id=edition.id), "info")
    return rubric, None
