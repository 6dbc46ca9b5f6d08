"""Migrations on a database that holds data: a schema at revision 0001 with rows in it is
upgraded to head with every row intact, downgraded again to 0001 and to nothing, and
upgraded once more - on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from assessment.backup import head_revision
from assessment.migrate import downgrade, upgrade
from tests.conftest import _pg_admin

AT = datetime(2025, 8, 1, 1, 0, tzinfo=timezone.utc)
OLD_TABLES = {"work_unit", "user_account", "rubric_edition", "period", "submission", "audit_log"}
JUDGING_TABLES = {"judge_assignment", "verification", "scoring_run", "publication", "objection"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL)")
    name = f"m_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


ROWS = {
    "rubric_edition": [{"id": "bakohumas-2025", "title": "Penilaian 2025", "source": "id: x",
                        "sha256": "a" * 64, "loaded_at": AT}],
    "work_unit": [{"code": "33", "name": "KPU Provinsi Jawa Tengah", "level": "provinsi",
                   "province_code": None, "time_zone": "WIB", "active": True},
                  {"code": "33.74", "name": "KPU Kota Semarang", "level": "kabkota",
                   "province_code": "33", "time_zone": "WIB", "active": True}],
    "user_account": [{"id": 1, "username": "op-33", "name": "Operator 'Jateng'",
                      "email": "op@kpu.go.id", "password_hash": "scrypt:x", "role": "operator",
                      "unit_code": "33", "active": True, "locale": "id", "created_at": AT,
                      "session_epoch": 0}],
    "period": [{"id": 1, "slug": "bakohumas-2025", "title": "Penilaian 2025",
                "rubric_id": "bakohumas-2025", "opens_at": AT, "closes_at": AT,
                "levels": ["provinsi", "kabkota"], "settings": {}, "created_at": AT}],
    "submission": [{"id": 1, "period_id": 1, "unit_code": "33", "status": "submitted",
                    "answers": {"sk-bakohumas": True, "jumlah-personel": "4,5"},
                    "pending": {}, "version": 3, "updated_at": AT, "updated_by": 1,
                    "submitted_at": AT, "submitted_by": 1, "head_name": "Dr. Ani; DROP TABLE",
                    "head_position": "Ketua", "head_nip": "198001012005012001"}],
    "audit_log": [{"id": 1, "at": AT, "user_id": 1, "action": "submission.submit",
                   "object_type": "submission", "object_id": "1", "period_id": 1,
                   "unit_code": "33", "detail": {"versi": 3, "catatan": "é ü ✓"}}],
}


def _fill(conn, table, row: dict) -> dict:
    """The row with every other NOT NULL column of the old table given a plain value."""
    full = dict(row)
    for column in table.columns:
        if column.name not in full and not column.nullable:
            full[column.name] = 0 if column.type.python_type in (int, bool) else ""
    return full


def insert_old_rows(engine) -> None:
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for name, rows in ROWS.items():
            conn.execute(meta.tables[name].insert(), [_fill(conn, meta.tables[name], r)
                                                      for r in rows])


def read_rows(engine) -> dict:
    meta = MetaData()
    meta.reflect(engine, only=list(ROWS))
    found = {}
    with engine.connect() as conn:
        for name, rows in ROWS.items():
            table = meta.tables[name]
            stored = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            found[name] = [{k: _plain(row[k]) for k in rows[0]} for row in stored]
    return found


def _plain(value):
    if isinstance(value, datetime):   # SQLite gives naive UTC back
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value[:1] in "{[":
        import json
        return json.loads(value)
    return value


def expected_rows() -> dict:
    return {name: [{k: _plain(v) for k, v in row.items()} for row in rows]
            for name, rows in ROWS.items()}


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def revision(engine) -> str | None:
    if "alembic_version" not in tables(engine):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_upgrade_with_data_then_downgrade_and_upgrade_again(url):
    engine = create_engine(url)
    try:
        upgrade(url, "0001")
        assert OLD_TABLES <= tables(engine) and not JUDGING_TABLES & tables(engine)
        insert_old_rows(engine)

        upgrade(url)
        assert revision(engine) == head_revision()
        assert JUDGING_TABLES <= tables(engine)
        assert read_rows(engine) == expected_rows()
        period_columns = {c["name"] for c in inspect(engine).get_columns("period")}
        assert {"verification_closes_at", "objection_opens_at"} <= period_columns
        with engine.connect() as conn, pytest.raises(DBAPIError):   # 0002's trigger
            conn.execute(text("DELETE FROM audit_log"))

        downgrade(url, "0001")
        assert revision(engine) == "0001"
        assert not JUDGING_TABLES & tables(engine)
        assert read_rows(engine) == expected_rows()
        with engine.begin() as conn:   # no trigger any more: 0001 had none
            conn.execute(text("UPDATE audit_log SET action = 'changed' WHERE id = 1"))

        downgrade(url, "base")
        assert tables(engine) <= {"alembic_version"}
        upgrade(url)   # nothing left behind (functions, triggers, indexes) that would clash
        assert revision(engine) == head_revision() and OLD_TABLES <= tables(engine)
    finally:
        engine.dispose()
