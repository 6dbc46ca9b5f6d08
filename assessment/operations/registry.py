"""The page data of the administrators' registry pages: the unit search and the rubric
editions with the periods that use each. Reads only (imports live in assessment/registry.py
and assessment/rubric_store.py)."""
from __future__ import annotations

from sqlalchemy import or_, select

from ..models import Period, RubricEdition, WorkUnit


def unit_search(text: str = ""):
    """The select() for the unit list, by code: text in the code or (any case) the name;
    ``%`` and ``_`` are taken as nothing rather than as wildcards."""
    query = select(WorkUnit).order_by(WorkUnit.code)
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(WorkUnit.code.like(like), WorkUnit.name.ilike(like)))
    return query


def editions_by_id(session) -> list[RubricEdition]:
    """The loaded rubric editions by id (the choice when a period is opened)."""
    return session.scalars(select(RubricEdition).order_by(RubricEdition.id)).all()


def rubric_editions(session) -> tuple[list[RubricEdition], dict[str, list[Period]]]:
    """(the editions, the latest loaded first; edition id -> the periods using it, the latest
    to open first)."""
    editions = session.scalars(select(RubricEdition).order_by(RubricEdition.loaded_at.desc())).all()
    used: dict[str, list[Period]] = {}
    for period in session.scalars(select(Period).order_by(Period.opens_at.desc())):
        used.setdefault(period.rubric_id, []).append(period)
    return editions, used
