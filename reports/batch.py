"""The offline ``score`` command: rubric + exchange file in, result file out."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

from rubrics import Rubric, load_rubric
from scoring import assessment_from_dict, parse_json, result_table, result_to_dict, score
from scoring.engine import Result

from .cells import csv_text
from .workbook import large_ranking_workbook, ranking_workbook

FORMATS = ("json", "csv", "xlsx")
# Beyond this many rows the per-indicator sheet would not fit in a worksheet (1,048,576 rows).
MAX_DETAIL_ROWS = 1_000_000


class BatchError(ValueError):
    """Bad input for a batch command; the message names the file and the place."""


def output_format(path: Path) -> str:
    """The output format named by the file's extension."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BatchError(f"{path}: unknown output format {path.suffix or '(none)'!r}; "
                         f"use one of .{', .'.join(FORMATS)}")
    return fmt


def score_file(rubric_path, responses_path, detail: bool = False) -> tuple[Rubric, Result]:
    """Load and validate both files and score them (``detail`` keeps per-indicator values,
    which the xlsx workbook shows); BatchError names any problem."""
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
        return rubric, score(rubric, assessment_from_dict(parse_json(raw)), detail=detail)
    except ScoringInputError as exc:
        raise BatchError(f"{responses_path}: {exc}") from None


def render(result: Result, rubric: Rubric, fmt: str, **meta) -> bytes:
    """The result as bytes in one of FORMATS; ``meta`` (period_title, input_sha256,
    generated_at, software_version) goes into the workbook's Metadata sheet."""
    if fmt == "json":
        # no indent: only the compact form uses the C encoder (3x faster at national scale)
        return json.dumps(result_to_dict(result), ensure_ascii=False).encode("utf-8")
    if fmt == "xlsx":
        meta.setdefault("software_version", software_version())
        scored = sum(len(a.scored_indicators) for a in rubric.aspects)
        if len(result.ranking) * scored > MAX_DETAIL_ROWS:
            return large_ranking_workbook(result, rubric, **meta)
        return ranking_workbook(result, rubric, **meta)
    headers, rows = result_table(result, rubric)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([csv_text(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, as hex (shown in the workbook's Metadata)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def software_version() -> str:
    """This package's installed version, or "" when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("bakohumas-assessment")
    except PackageNotFoundError:
        return ""


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
