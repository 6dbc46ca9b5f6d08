"""Text from outside (forms, JSON, spreadsheets, file names) checked at the boundary: no
lone surrogates (they cannot be encoded as UTF-8, so a page, export or scoring run showing
them would fail), no control characters except tab and line breaks, normalised to NFC.
Numbers typed by people are read with ASCII digits only, never with ``int()`` on raw text
(``int("²")`` raises and ``int("٣")`` is 3)."""
from __future__ import annotations

import re
import unicodedata

# C0 controls except tab, LF and CR; DEL; C1 controls; UTF-16 surrogates (only ever lone
# in a Python str that came from outside)
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,18}")


class TextInvalid(ValueError):
    """Text that cannot be stored; ``field`` names where it was."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def problem(value: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    match = _BAD.search(value)
    if match is None:
        return None
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "contains an unpaired surrogate (U+%04X), which is not a character" % ord(char)
    return "contains the control character U+%04X" % ord(char)


def clean(value: str, field: str) -> str:
    """The text in NFC, or TextInvalid naming ``field``."""
    reason = problem(value)
    if reason:
        raise TextInvalid(field, reason)
    return unicodedata.normalize("NFC", value)


def clean_json(value, field: str = ""):
    """A parsed JSON value with every key and string checked and in NFC."""
    if isinstance(value, str):
        return clean(value, field or "body")
    if isinstance(value, list):
        return [clean_json(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            out[clean(key, name)] = clean_json(item, name)
        return out
    return value


def clean_table(rows: list[list], place) -> list[list]:
    """Rows read from a spreadsheet or CSV file with every text cell checked and in NFC;
    ``place(row, column)`` (both from 1) names a cell in the TextInvalid raised, e.g.
    "sheet Akun, cell B3" or "row 3, column 2". Other values (numbers, dates) stay."""
    out = []
    for r, row in enumerate(rows, start=1):
        out.append([clean(v, place(r, c)) if isinstance(v, str) else v
                    for c, v in enumerate(row, start=1)])
    return out


def repair(value: str) -> str:
    """Stored text made encodable: what cannot be stored becomes U+FFFD, then NFC."""
    return unicodedata.normalize("NFC", _BAD.sub("\ufffd", value.replace("\x00", "")))


def repair_json(value):
    if isinstance(value, str):
        return repair(value)
    if isinstance(value, list):
        return [repair_json(item) for item in value]
    if isinstance(value, dict):
        return {repair(str(k)): repair_json(v) for k, v in value.items()}
    return value


def ascii_int(value) -> int | None:
    """An integer written with ASCII digits (an optional sign), else None: ``"²"``,
    ``"٣"``, ``"1e3"``, ``" 7"`` and 19-digit numbers are not read."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not _ASCII_INT.fullmatch(value):
        return None
    return int(value)


def shown(value: str) -> str:
    """Stored text for display: what cannot be encoded is shown escaped (``\\ud83d``)."""
    return _BAD.sub(lambda m: "\\u%04x" % ord(m.group()), value)
