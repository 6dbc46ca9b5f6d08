"""The offline ``score`` command: rubric + exchange file in, result file out."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from openpyxl import Workbook

from rubrics import Rubric, load_rubric
from scoring import assessment_from_dict, parse_json, result_table, result_to_dict, score
from scoring.engine import Result

from .cells import cell_value, csv_text

FORMATS = ("json", "csv", "xlsx")


class BatchError(ValueError):
    """Bad input for a batch command; the message names the file and the place."""


def output_format(path: Path) -> str:
    """The output format named by the file's extension."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BatchError(f"{path}: unknown output format {path.suffix or '(none)'!r}; "
                         f"use one of .{', .'.join(FORMATS)}")
    return fmt


def score_file(rubric_path, responses_path) -> tuple[Rubric, Result]:
    """Load and validate both files and score them; BatchError names any problem."""
    from rubrics import RubricError
    from scoring import ScoringInputError
    try:
        rubric = load_rubric(rubric_path)
    except RubricError as exc:
        raise BatchError(str(exc)) from None
    try:
        raw = Path(responses_path).read_bytes()
    except OSError as exc:
        raise BatchError(f"{responses_path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return rubric, score(rubric, assessment_from_dict(parse_json(raw)))
    except ScoringInputError as exc:
        raise BatchError(f"{responses_path}: {exc}") from None


def render(result: Result, rubric: Rubric, fmt: str) -> bytes:
    """The result as bytes in one of FORMATS."""
    if fmt == "json":
        # no indent: only the compact form uses the C encoder (3x faster at national scale)
        return json.dumps(result_to_dict(result), ensure_ascii=False).encode("utf-8")
    headers, rows = result_table(result, rubric)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows([csv_text(v) for v in row] for row in rows)
        return buf.getvalue().encode("utf-8-sig")
    return _plain_xlsx(headers, rows)


def _plain_xlsx(headers, rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Peringkat")
    sheet.append([cell_value(sheet, h) for h in headers])
    for row in rows:
        sheet.append([cell_value(sheet, v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, so a failure leaves no partial file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
