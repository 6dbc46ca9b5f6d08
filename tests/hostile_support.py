"""Shared by the hostile-input tests: a snapshot of every table, to prove that a refused
request changed nothing, and a small season to aim at (two Jawa Tengah units, one in Aceh,
operators, judges - one seconded from KPU Provinsi Jawa Tengah - an admin, API tokens)."""
from __future__ import annotations

from sqlalchemy import inspect, text

from assessment.extensions import db
from assessment.models import JudgeAssignment, Submission
from assessment.operations.tokens import create_token
from tests.conftest import PASSWORD

SLUG = "bakohumas-2025"
# throttle counters and the "last used" hint of a token change on every request by design
VOLATILE = {"login_attempt": None, "api_token": {"last_used_at"}}


_QUERIES: dict[str, dict[str, str]] = {}


def _queries() -> dict[str, str]:
    """One SELECT per table, built once per database (the schema does not change)."""
    key = str(db.engine.url)
    if key not in _QUERIES:
        inspector = inspect(db.engine)
        queries = {}
        for name in sorted(inspector.get_table_names()):
            if name == "alembic_version" or (name in VOLATILE and VOLATILE[name] is None):
                continue
            skip = VOLATILE.get(name) or set()
            cols = ", ".join(f'"{c["name"]}"' for c in inspector.get_columns(name)
                             if c["name"] not in skip)
            queries[name] = f'SELECT {cols} FROM "{name}"'
        _QUERIES[key] = queries
    return _QUERIES[key]


def snapshot(session) -> dict:
    """Every row of every table (minus volatile bookkeeping), as comparable plain data."""
    session.expire_all()
    tables = {name: sorted(tuple(map(repr, row)) for row in session.execute(text(query)))
              for name, query in _queries().items()}
    session.rollback()
    return tables


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def token_headers(session, user, name="uji") -> dict:
    _, secret = create_token(session, user, name)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def build_season(session, make_user, make_period, **period_kw):
    """A period with drafts of 33 (KPU Provinsi Jawa Tengah), 33.74 (Kota Semarang) and
    11.71 (Kota Banda Aceh); operators of each; judges penilai1 (independent, assigned to
    33.74 and 11.71), penilai3 (seconded from 33, assigned to 33.74 and 33 - conflicts)
    and an admin. Returns a dict of everything."""
    period = make_period(slug=SLUG, **period_kw)
    users = {code: make_user(username=f"op-{code}", unit_code=code)
             for code in ("33", "33.74", "11.71")}
    users["admin"] = make_user(username="admin-uji", role="admin", unit_code=None)
    users["penilai1"] = make_user(username="penilai1", role="judge", unit_code=None)
    users["penilai3"] = make_user(username="penilai3", role="judge", unit_code="33")
    users["monitor-11"] = make_user(username="monitor-11", role="monitor", unit_code="11")
    subs = {}
    for code in ("33", "33.74", "11.71"):
        subs[code] = Submission(period_id=period.id, unit_code=code, status="draft",
                                answers={"kendala-dukungan": f"Teks asli {code}"}, pending={},
                                updated_by=users[code].id)
        session.add(subs[code])
    for judge, code in (("penilai1", "33.74"), ("penilai1", "11.71"),
                        ("penilai3", "33.74"), ("penilai3", "33")):
        session.add(JudgeAssignment(period_id=period.id, unit_code=code,
                                    judge_id=users[judge].id))
    session.commit()
    return {"period": period, "users": users, "subs": subs, "password": PASSWORD}


def fill_rule(rule, values: dict) -> str | None:
    """The URL of a url_map rule with its variables taken from ``values`` (by name, or by
    converter for ``any(...)``); None when a variable has no value."""
    args = {}
    for name in rule.arguments:
        if name not in rule._converters:      # a default of a shorter URL, not a variable
            continue
        choices = getattr(rule._converters[name], "items", None)
        if choices:
            args[name] = values[name] if values.get(name) in choices else sorted(choices)[0]
        elif name in values:
            args[name] = values[name]
        else:
            return None
    return rule.build(args, append_unknown=False)[1]


def html_post_rules(app):
    """Every rule answering POST (or PUT/DELETE) outside the JSON API."""
    return sorted((r for r in app.url_map.iter_rules()
                   if r.methods & {"POST", "PUT", "PATCH", "DELETE"}
                   and not r.rule.startswith("/api/")), key=lambda r: r.rule)


def login_client(app, username, password=PASSWORD):
    """A fresh test client logged in as ``username`` (CSRF must be off while logging in)."""
    client = app.test_client()
    response = client.post("/akun/masuk", data={"username": username, "password": password})
    assert response.status_code == 302, (username, response.status_code)
    return client
