"""Evidence files: their type told from the content (never the name), and their storage
under generated names outside the web root."""
from __future__ import annotations

import hashlib
import io
import os
import re
import time
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from .models import Evidence, Objection
from .transaction import after_commit, after_rollback

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
EXTENSIONS = {"pdf": (".pdf",), "jpg": (".jpg", ".jpeg"), "png": (".png",), "docx": (".docx",),
              "xlsx": (".xlsx",), "pptx": (".pptx",)}
TYPE_LABELS = "PDF, JPG, PNG, DOCX, XLSX, PPTX"

# Office Open XML: the main part's content type and where that part must live. The
# macro-enabled variants (docm, xlsm, pptm) declare other content types and are refused.
_OOXML_MAIN = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
             "word/"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
             "ppt/"),
}
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

# files younger than this are left to the transaction that may still be committing them
SWEEP_MIN_AGE = timedelta(hours=1)

# zip-bomb limits, as for uploaded workbooks (assessment/spreadsheets.py)
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 5000


class UploadError(ValueError):
    """A refused upload; the message is for the person who uploaded it."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def megabytes(max_bytes: int) -> str:
    """A size limit in MB as people write it: 10, 2.5, 0.01."""
    return f"{max_bytes / (1024 * 1024):.2f}".rstrip("0").rstrip(".")


def too_big(max_bytes: int) -> str:
    return _("The file is larger than %(mb)s MB.", mb=megabytes(max_bytes))


def sniff(data: bytes) -> str:
    """The kind of file (pdf, jpg, png, docx, xlsx, pptx) told from its bytes, or UploadError."""
    if not data:
        raise UploadError(_("The file is empty."))
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    raise UploadError(_("This kind of file is not accepted (allowed: %(types)s). The type is "
                        "read from the file's content, not from its name.", types=TYPE_LABELS))


def _office_kind(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise UploadError(_("The file is a damaged or unsupported zip archive.")) from None
    _check_zip_members(members)
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names:
        raise UploadError(_("A zip archive that is not a Word, Excel or PowerPoint file is not "
                            "accepted (allowed: %(types)s).", types=TYPE_LABELS))
    try:
        root = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    except (ElementTree.ParseError, DefusedXmlException, zipfile.BadZipFile, RuntimeError):
        raise UploadError(_("The document cannot be read (damaged [Content_Types].xml).")) from None
    overrides = {el.get("PartName", "").lstrip("/"): el.get("ContentType", "")
                 for el in root.iter(f"{_CT_NS}Override")}
    for kind, (content_type, folder) in _OOXML_MAIN.items():
        for part, declared in overrides.items():
            if declared == content_type and part.startswith(folder) and part in names:
                return kind
    raise UploadError(_("Only .docx, .xlsx and .pptx documents are accepted among Office files "
                        "(macro-enabled and other formats are refused)."))


def _check_zip_members(members) -> None:
    if len(members) > MAX_MEMBERS:
        raise UploadError(_("The document holds too many parts."))
    total = 0
    for info in members:
        total += info.file_size
        if info.compress_size and info.file_size > 1024 * 1024 \
                and info.file_size / info.compress_size > MAX_RATIO:
            raise UploadError(_("Refused: the document expands suspiciously (a compressed bomb?)."))
    if total > MAX_UNCOMPRESSED:
        raise UploadError(_("Refused: the document expands to more than %(mb)d MB.",
                            mb=MAX_UNCOMPRESSED // (1024 * 1024)))


def display_name(filename: str, kind: str) -> str:
    """The uploaded name made safe for display and downloads, with the extension the
    content really has (``scan.pdf`` holding a PNG becomes ``scan.png``)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if not stem:
        stem = "bukti"
    if f".{ext.lower()}" in EXTENSIONS[kind]:
        suffix = f".{ext}"
    else:
        # a short alphanumeric ending is a (wrong) extension and is replaced; anything
        # else ("laporan v2.final") is part of the name and kept
        if not (ext and len(ext) <= 4 and ext.isalnum()):
            stem = name or stem
        suffix = EXTENSIONS[kind][0]
    return stem[: 200 - len(suffix)] + suffix


def store(upload_dir: str | os.PathLike, data: bytes) -> StoredFile:
    """Check the bytes and write them under a generated name; the uploaded name is never
    part of the path. The file is written as ``.<name>.part`` and moved into place when
    the transaction that records it commits; rolled back, it is removed."""
    kind = sniff(data)
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex
    temporary, final = folder / f".{stored_name}.part", folder / stored_name
    with open(temporary, "xb") as out:
        out.write(data)
    if has_app_context():
        after_commit(lambda: os.replace(temporary, final))
        after_rollback(lambda: temporary.unlink(missing_ok=True))
    else:   # no transaction to wait for
        os.replace(temporary, final)
    return StoredFile(stored_name=stored_name, kind=kind, content_type=CONTENT_TYPES[kind],
                      size=len(data), sha256=hashlib.sha256(data).hexdigest())


def path_of(upload_dir: str | os.PathLike, stored_name: str) -> Path:
    """Where a stored file lives (the name is checked to be one we generated)."""
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise FileNotFoundError(stored_name)
    return Path(upload_dir) / stored_name


def remove_after_commit(stored_name: str, upload_dir: str | os.PathLike | None = None) -> None:
    """Delete a stored file once the transaction that deleted its row commits."""
    path = path_of(upload_dir or current_app.config["UPLOAD_DIR"], stored_name)
    after_commit(lambda: path.unlink(missing_ok=True))


def sweep(session, upload_dir: str | os.PathLike, *, dry_run: bool = False,
          min_age: timedelta = SWEEP_MIN_AGE, now: float | None = None) -> list[tuple[Path, str]]:
    """Remove stored files no row refers to and temporary files left by a crash, both older
    than ``min_age`` (younger ones may belong to a transaction still committing). Returns
    [(path, why)]; with ``dry_run`` nothing is removed. Other files are left alone."""
    referenced = set(session.scalars(select(Evidence.stored_name)))
    referenced |= set(session.scalars(select(Objection.stored_name)))
    cutoff = (now if now is not None else time.time()) - min_age.total_seconds()
    folder, removed = Path(upload_dir), []
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        why = _sweep_reason(path, referenced)
        if why is None or not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        if not dry_run:
            path.unlink(missing_ok=True)
        removed.append((path, why))
    return removed


def _sweep_reason(path: Path, referenced: set) -> str | None:
    if re.fullmatch(r"[0-9a-f]{32}", path.name) and path.name not in referenced:
        return "no row refers to it"
    if re.fullmatch(r"\.[0-9a-f]{32}\.part", path.name):
        return "temporary file never moved into place"
    return None
