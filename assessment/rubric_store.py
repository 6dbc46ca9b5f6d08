"""Rubric editions kept in the database (their exact YAML), loaded as rubrics.Rubric."""
from __future__ import annotations

from functools import lru_cache

from rubrics import Rubric, parse_rubric

from .extensions import db
from .models import Period, RubricEdition


def store_rubric(session, data: bytes, filename: str) -> RubricEdition:
    """Validate and store an edition; an edition id already stored must be byte-identical
    (an edition in use is never silently changed; publish a new id instead)."""
    rubric = parse_rubric(data, source=filename)
    edition = session.get(RubricEdition, rubric.id)
    if edition is not None:
        if edition.sha256 != rubric.sha256:
            raise ValueError(f"{filename}: rubric {rubric.id!r} is already loaded with other content "
                             f"(sha256 {edition.sha256[:12]}...); give the changed edition a new id")
        return edition
    edition = RubricEdition(id=rubric.id, title=rubric.title, source=data.decode("utf-8"),
                            sha256=rubric.sha256)
    session.add(edition)
    session.flush()
    return edition


@lru_cache(maxsize=32)
def parsed(sha256: str, source: str, rubric_id: str) -> Rubric:
    """A stored rubric source, parsed once per content hash (periods and frozen runs alike)."""
    return parse_rubric(source.encode("utf-8"), source=f"rubric {rubric_id}")


# (sha256, id) -> Rubric: found without the edition's source, so a request that loaded the
# edition without it (api.core.find_period) does not read it again
_BY_HASH: dict[tuple[str, str], Rubric] = {}


def rubric_for(period: Period) -> Rubric:
    """The rubric a period scores with (parsed once per content hash)."""
    edition = period.rubric_edition
    key = (edition.sha256, edition.id)
    rubric = _BY_HASH.get(key)
    if rubric is None:
        rubric = _BY_HASH[key] = parsed(edition.sha256, edition.source, edition.id)
    return rubric


def rubric_by_id(rubric_id: str) -> Rubric:
    edition = db.session.get(RubricEdition, rubric_id)
    if edition is None:
        raise KeyError(rubric_id)
    return parsed(edition.sha256, edition.source, edition.id)
