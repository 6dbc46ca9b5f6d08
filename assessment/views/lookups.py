"""Loading what a URL names, shared by the blueprints: a period by its slug (or 404), a row
of the user's own (or 404), the page of a list that ?page= names."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from ..extensions import db
from ..models import Period
from ..operations.periods import period_by_slug

MAX_PAGE = 10**6   # a huge page number would overflow the database's integer OFFSET (a 500)


def period_or_404(slug: str) -> Period:
    """The period with this slug; 404 when there is none."""
    return period_by_slug(db.session, slug) or abort(404)


def own_or_404(model, ident: int):
    """The ``model`` row with this id when it is the current user's (its ``user_id``); 404
    otherwise, so that someone else's rows are not even confirmed to exist."""
    row = db.session.get(model, ident)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return row


def query_page(query, per_page: int):
    """The page of ``query`` (a select() from operations) that ?page= names; past the last
    page, an empty one."""
    return db.paginate(query, page=min(request.args.get("page", 1, type=int), MAX_PAGE),
                       per_page=per_page, error_out=False)


def list_page(rows: list, per_page: int) -> dict:
    """The page of ``rows`` (a list already built) that ?page= names, clamped to the pages
    there are, with what the pager needs."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return {"items": rows[(page - 1) * per_page:page * per_page], "page": page, "pages": pages,
            "total": len(rows), "per_page": per_page}


def list_args() -> dict:
    """The request's filled-in query arguments but the page: what the page links keep."""
    return {k: v for k, v in request.args.items() if k != "page" and v}
