"""Backups that never report a success they did not have: dated archives with retention, a
truncated archive refused with a message (exit 2, no traceback), a refused or failed restore
that leaves the target exactly as it was, and evidence files placed only after the restore's
transaction committed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from assessment import backup
from assessment.backup import BackupError, create_backup, restore_backup
from assessment.migrate import database_revision, head_revision, upgrade
from tests.test_backup import empty_database, folder_files, other_app, season  # noqa: F401

import run


@pytest.fixture
def archive(app, season, tmp_path):  # noqa: F811
    path = tmp_path / "cadangan.tar.gz"
    create_backup(app, path)
    return path


def tables_of(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def command_env(monkeypatch, url: str, uploads: Path):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("UPLOAD_DIR", str(uploads))


@pytest.mark.parametrize("cut", [0.3, 0.9, 0.999])
def test_a_truncated_archive_is_exit_2_with_a_message(archive, tmp_path, monkeypatch, capsys,
                                                      cut):
    data = archive.read_bytes()
    short = tmp_path / "terpotong.tar.gz"
    short.write_bytes(data[:int(len(data) * cut)])          # head -c N a.tar.gz
    url, drop = empty_database("sqlite", tmp_path)
    command_env(monkeypatch, url, tmp_path / "new-uploads")
    assert run.main(["restore", str(short)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {short}: ") and "Traceback" not in err
    assert tables_of(url) == set()                            # nothing created
    assert not any((tmp_path / "new-uploads").rglob("*")) if (tmp_path / "new-uploads").exists() else True


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_refused_restore_leaves_an_old_schema_as_it_was(app, archive, tmp_path, kind):
    """Onto a database at 0001 that holds rows, without --force: refused, not upgraded."""
    url, drop = empty_database(kind, tmp_path)
    try:
        upgrade(url, "0001")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO work_unit (code, name, level, time_zone, active) "
                              "VALUES ('00', 'KPU RI', 'pusat', 'WIB', TRUE)"))
        engine.dispose()
        before = tables_of(url)
        with pytest.raises(BackupError, match="not empty"):
            restore_backup(other_app(url, tmp_path / "u"), archive)
        assert database_revision(url) == "0001" and tables_of(url) == before
    finally:
        drop()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_failed_restore_into_an_empty_database_leaves_it_empty(app, archive, tmp_path,
                                                                 monkeypatch, kind):
    url, drop = empty_database(kind, tmp_path)
    uploads = tmp_path / "kosong-uploads"
    try:
        def broken(conn, manifest):
            raise BackupError("evidence: 1 rows restored, the manifest says 2")
        monkeypatch.setattr(backup, "_check_counts", broken)
        with pytest.raises(BackupError, match="the manifest says 2"):
            restore_backup(other_app(url, uploads), archive)
        assert tables_of(url) == set()                        # the schema went with the rows
        assert database_revision(url) is None
        assert not [p for p in uploads.rglob("*")]            # no file without its row
    finally:
        drop()


def test_files_are_placed_only_after_the_commit(app, archive, tmp_path, monkeypatch):
    """The database transaction commits before any evidence file is in the upload folder;
    a killed restore's staging folder is removed by the next restore."""
    url, drop = empty_database("sqlite", tmp_path)
    uploads = tmp_path / "u"
    (uploads / backup.STAGING / "x").mkdir(parents=True)   # left by a killed restore
    (uploads / backup.STAGING / "x" / "orphan.pdf").write_bytes(b"%PDF")
    seen = {}
    real = backup._restore_database

    def watched(*args):
        real(*args)
        seen["files when committed"] = folder_files(uploads)
        seen["staged"] = sorted(p.name for p in (uploads / backup.STAGING).rglob("*")
                                if p.is_file())
    monkeypatch.setattr(backup, "_restore_database", watched)
    manifest = restore_backup(other_app(url, uploads), archive)
    assert seen["files when committed"] == {}
    assert len(seen["staged"]) == len(manifest["files"]) == 2 and "orphan.pdf" not in seen["staged"]
    assert not (uploads / backup.STAGING).exists()
    assert len([p for p in uploads.rglob("*") if p.is_file()]) == 2


def test_backup_dir_keeps_the_newest_dated_archives(app, tmp_path, monkeypatch, capsys):
    command_env(monkeypatch, app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["UPLOAD_DIR"]))
    folder = tmp_path / "cadangan"
    folder.mkdir()
    for stamp in ("20250101-010000", "20250102-010000", "20250103-010000"):
        (folder / f"bakohumas-{stamp}.tar.gz").write_bytes(b"old")
    (folder / "catatan.txt").write_text("not an archive: kept")
    assert run.main(["backup", "--dir", str(folder), "--keep", "2"]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "bakohumas-20250103-010000.tar.gz" and names[-1] == "catatan.txt"
    assert len(names) == 3 and names[1].startswith("bakohumas-20")
    assert "removed the older backup" in out and "schema revision" in out
    assert oct((folder / names[1]).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("argv, message", [
    (["backup"], "name either an archive"),
    (["backup", "a.tar.gz", "--dir", "."], "name either an archive"),
    (["backup", "a.tar.gz", "--keep", "2"], "applies to --dir only"),
    (["backup", "--dir", "/nonexistent-folder"], "the folder does not exist"),
])
def test_backup_options_are_checked(app, monkeypatch, capsys, argv, message):
    command_env(monkeypatch, app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["UPLOAD_DIR"]))
    assert run.main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_failing_backup_writes_nothing_and_says_so(app, tmp_path, monkeypatch, capsys):
    command_env(monkeypatch, app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["UPLOAD_DIR"]))
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    engine.dispose()
    assert run.main(["backup", "--dir", str(tmp_path)]) == 2
    assert "run `python run.py migrate` first" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("bakohumas-", ".bakohumas-"))]
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
    engine.dispose()
