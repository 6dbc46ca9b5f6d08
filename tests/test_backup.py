"""Backup and restore: the database and the evidence files in one archive, restored whole
into SQLite or PostgreSQL (whichever made it), refusing damaged archives and non-empty
databases, replacing contents with --force despite the append-only triggers."""
from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from assessment import create_app
from assessment.backup import BackupError, create_backup, head_revision, restore_backup
from assessment.extensions import db
from assessment.models import AuditLog, Evidence, Publication, ScoringRun, User
from assessment.operations import runs
from tests.conftest import PASSWORD, SLUG, _app_config, _pg_admin
from tests.test_questionnaire_operations import PDF, png_bytes

import run


def upload(client, indicator: str, data: bytes, name: str):
    response = client.post(f"/bukti/{SLUG}/{indicator}/berkas",
                           data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


@pytest.fixture
def season(app, client, session, make_user, operator):
    """Some of everything: a saved submission with two evidence files, a judge, a frozen
    final run and its publication, and the audit rows they wrote."""
    user, period = operator
    upload(client, "sk-bakohumas", PDF, "SK Tim Bakohumas 2025.pdf")
    upload(client, "struktur-tim", png_bytes(), "struktur.png")
    admin = session.query(User).filter_by(role="admin").first()
    make_user(username="penilai1", role="judge", unit_code=None)
    run_ = runs.create_run(session, period, "final", admin, "uji")
    runs.publish(session, period, run_, admin)
    session.commit()
    assert session.query(Evidence).count() == 2 and session.query(AuditLog).count() >= 3
    return period


def empty_database(kind: str, tmp_path):
    """A URL of a new, empty database of the given kind, and how to drop it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}", lambda: None
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL)")
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}", drop


def other_app(url: str, uploads: Path):
    return create_app(_app_config(url, uploads))


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def contents(manifest: dict) -> dict:
    """What a backup holds, independent of when and where it was made."""
    return {"tables": {t["name"]: (t["rows"], t["sha256"]) for t in manifest["tables"]},
            "files": sorted((f["name"], f["sha256"]) for f in manifest["files"])}


def folder_files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_round_trip_into_an_empty_database(app, season, tmp_path, target):
    """Backup, restore into a new database (SQLite or PostgreSQL, whatever made the
    backup), back up again: the same rows byte for byte, the same files."""
    archive = tmp_path / "backup.tar.gz"
    made = create_backup(app, archive)
    assert made["schema_revision"] == head_revision() and len(made["files"]) == 2
    assert {t["name"]: t["rows"] for t in made["tables"]}["publication"] == 1
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    url, drop = empty_database(target, tmp_path)
    try:
        restored = other_app(url, tmp_path / "restored-uploads")
        restore_backup(restored, archive)
        again = create_backup(restored, tmp_path / "again.tar.gz")
        assert contents(again) == contents(made)
        assert folder_files(tmp_path / "restored-uploads") == folder_files(
            Path(app.config["UPLOAD_DIR"]))
        with restored.app_context():
            _still_works_after_restore(restored, target)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def _still_works_after_restore(app, kind: str) -> None:
    # the append-only triggers came back with the schema
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE audit_log SET action = 'x'"))
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM publication"))
    db.session.rollback()
    # ids continue after the restored ones (PostgreSQL sequences were reset)
    top = db.session.query(db.func.max(User.id)).scalar()
    user = User(username="baru", name="Baru", role="admin")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    assert user.id == top + 1
    # and the restored people can log in
    client = app.test_client()
    assert client.post("/akun/masuk", data={"username": "op-33",
                                            "password": PASSWORD}).status_code == 302


def test_restore_refuses_a_database_that_is_not_empty(app, season, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    create_backup(app, archive)
    with pytest.raises(BackupError, match="not empty.*--force"):
        restore_backup(app, archive)


def test_forced_restore_replaces_contents_despite_the_append_only_triggers(
        app, season, session, client, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    made = create_backup(app, archive)
    # later changes: another run and publication, more audit rows, another file
    admin = session.query(User).filter_by(role="admin").first()
    later = runs.create_run(session, season, "final", admin, "koreksi")
    runs.publish(session, season, later, admin)
    session.commit()
    upload(client, "struktur-tim", PDF, "tambahan.pdf")
    assert session.query(ScoringRun).count() == 2
    session.remove()

    restore_backup(app, archive, force=True)
    assert contents(create_backup(app, tmp_path / "after.tar.gz")) == contents(made)
    assert session.query(ScoringRun).count() == 1 and session.query(Publication).count() == 1
    assert sorted(folder_files(Path(app.config["UPLOAD_DIR"]))) == sorted(
        f["name"] for f in made["files"])
    _still_works_after_restore(app, db.engine.dialect.name)


def _rewrite(archive: Path, out: Path, change) -> None:
    """Copy an archive, letting ``change(name, data)`` alter each member's bytes."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("damage, message", [
    (lambda name, data: data.replace(b"op-33", b"op-34") if "user_account" in name else data,
     "damaged"),
    (lambda name, data: None if name.startswith("files/") else data, "differ from its manifest"),
    (lambda name, data: json.dumps({**json.loads(data), "schema_revision": "0002"}).encode()
     if name == "manifest.json" else data, "schema revision 0002"),
    (lambda name, data: None if name == "manifest.json" else data, "no readable manifest"),
    (lambda name, data: json.dumps({**json.loads(data), "files": [
        {"name": "../../etc/passwd", "size": 1, "sha256": "0"}]}).encode()
     if name == "manifest.json" else data, "outside the upload folder"),
])
def test_a_damaged_or_foreign_archive_is_refused_and_changes_nothing(
        app, season, session, tmp_path, damage, message):
    archive = tmp_path / "backup.tar.gz"
    made = create_backup(app, archive)
    bad = tmp_path / "bad.tar.gz"
    _rewrite(archive, bad, damage)
    session.remove()
    with pytest.raises(BackupError, match=message):
        restore_backup(app, bad, force=True)
    assert contents(create_backup(app, tmp_path / "after.tar.gz")) == contents(made)


def test_not_an_archive_at_all(app, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    with pytest.raises(BackupError, match="not a readable backup archive"):
        restore_backup(app, junk)


def test_backup_and_restore_commands(app, season, tmp_path, monkeypatch, capsys):
    """`python run.py backup FILE` then `restore FILE` into a new SQLite database."""
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("UPLOAD_DIR", app.config["UPLOAD_DIR"])
    archive = tmp_path / "cadangan.tar.gz"
    assert run.main(["backup", str(archive)]) == 0
    assert "files" in capsys.readouterr().out and archive.exists()
    url, drop = empty_database("sqlite", tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "new-uploads"))
    assert run.main(["restore", str(archive)]) == 0
    assert "restored" in capsys.readouterr().out
    assert run.main(["restore", str(archive)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert run.main(["restore", str(archive), "--force"]) == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM evidence")).scalar() == 2
    engine.dispose()


def test_work_units_are_restored_after_their_province_and_their_successor():
    """work_unit refers to itself twice (province_code, successor_code): a restore inserts
    every row after the rows it names, whatever the archive's order (on PostgreSQL a
    successor inserted later was refused by its foreign key)."""
    from assessment.backup import _parents_first
    from assessment.models import WorkUnit
    rows = [{"code": "91.01", "province_code": "91", "successor_code": "93.01"},
            {"code": "93.01", "province_code": "93", "successor_code": None},
            {"code": "93", "province_code": None, "successor_code": None},
            {"code": "91", "province_code": None, "successor_code": None}]
    ordered = [r["code"] for r in _parents_first(WorkUnit.__table__, rows)]
    assert sorted(ordered) == sorted(r["code"] for r in rows)
    position = {code: i for i, code in enumerate(ordered)}
    for row in rows:
        for link in ("province_code", "successor_code"):
            if row[link] is not None:
                assert position[row[link]] < position[row["code"]], (row, ordered)
