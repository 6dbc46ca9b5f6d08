"""What a registry file would change, before it is applied: the preview of the admin's
import page (``registry.import_units`` applies it, all or nothing, on the same rules)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .models import WorkUnit
from .registry import read_rows, validate

FIELDS = ("name", "level", "province_code", "time_zone", "exists_from", "exists_until",
          "successor_code")


@dataclass
class Preview:
    added: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict]] = field(default_factory=list)   # (row, {field: (old, new)})
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not self.added and not self.changed


def _current(unit: WorkUnit, column: str) -> str:
    value = getattr(unit, column)
    return "" if value is None else str(value)


def preview(session, filename: str, data: bytes) -> Preview:
    """The units the file adds and the fields it changes; RegistryError (every problem,
    by row and column) when it would be refused."""
    rows = read_rows(filename, data)
    existing = {u.code: u for u in session.query(WorkUnit)}
    validate(filename, rows, set(existing))
    result = Preview()
    for row in rows:
        unit = existing.get(row["code"])
        if unit is None:
            result.added.append(row)
            continue
        diff = {c: (_current(unit, c), row[c][:10] if c.startswith("exists") else row[c])
                for c in FIELDS if c in row}
        diff = {c: pair for c, pair in diff.items() if pair[0] != pair[1]}
        if diff:
            result.changed.append((row, diff))
        else:
            result.unchanged += 1
    return result
