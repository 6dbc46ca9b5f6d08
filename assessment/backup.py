"""Backup and restore of the database and the evidence files together, in one archive.

The archive is a .tar.gz holding ``manifest.json`` (format, schema revision, and per
table its columns, row count and SHA-256; per file its size and SHA-256), the rows of
each table as JSON lines in ``database/<table>.jsonl``, and the upload folder's files
under ``files/``. Rows are written dialect-neutrally (times as ISO 8601 in UTC, JSON
columns as their JSON text), so a backup of SQLite restores into PostgreSQL and back.

A restore checks every checksum before it touches anything, refuses a database that holds
rows unless ``force`` before it changes anything, and creates or upgrades the schema and
loads all tables in one transaction: a refused or failed restore leaves the database as it
was. The files are unpacked into a hidden staging folder in the upload folder and moved into
place only after that transaction has committed; a killed restore leaves at most that
staging folder, which the next restore removes first.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from datetime import date, datetime, timezone
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic import command
from sqlalchemy import JSON, Date, DateTime, Integer, Text, bindparam, cast, create_engine, event, func, \
    inspect, select, text

from .extensions import db
from .migrate import alembic_config

FORMAT, VERSION = "bakohumas-backup", 1
BATCH = 1000
_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why."""


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _tables():
    return db.metadata.sorted_tables   # parents before children


def _is_json(column) -> bool:
    return isinstance(column.type, JSON)


def _encode(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):     # the registry's and the monitoring's days
        return value.isoformat()
    return value


def _decode(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


# -- backup -------------------------------------------------------------------------------

ARCHIVE = re.compile(r"bakohumas-(\d{8}-\d{6})\.tar\.gz")


def dated_path(folder) -> Path:
    """A new archive's path in ``folder``: bakohumas-YYYYMMDD-HHMMSS.tar.gz (UTC)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BackupError(f"{folder}: the folder does not exist")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = folder / f"bakohumas-{stamp}.tar.gz"
    if path.exists():
        raise BackupError(f"{path} exists already: one backup per second at most")
    return path


def prune(folder, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` dated archives in ``folder`` (only files named as
    dated_path names them); returns the deleted paths."""
    if keep < 1:
        raise BackupError("--keep must be 1 or more")
    dated = sorted(p for p in Path(folder).iterdir() if ARCHIVE.fullmatch(p.name))
    removed = dated[:-keep]
    for path in removed:
        path.unlink()
    return removed

def create_backup(app, path: str | os.PathLike) -> dict:
    """Write the database and the upload folder to ``path`` (.tar.gz); returns the manifest."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"{path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        with app.app_context(), tarfile.open(tmp, "w:gz") as tar:
            manifest = {"format": FORMAT, "version": VERSION,
                        "created_at": datetime.now(timezone.utc).isoformat(),
                        "dialect": db.engine.dialect.name}
            manifest.update(_dump_database(tar))
            manifest["files"] = _dump_files(tar, Path(app.config["UPLOAD_DIR"]))
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
        os.chmod(tmp, 0o600)   # it holds password hashes and the units' evidence
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return manifest


def _add_bytes(tar, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _dump_database(tar) -> dict:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":   # one consistent snapshot of every table
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        else:
            conn.exec_driver_sql("BEGIN")       # a read transaction: no writer in between
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision != head_revision():
            raise BackupError(f"the database is at schema revision {revision}, this version "
                              f"of the application at {head_revision()}: run "
                              "`python run.py migrate` first")
        tables = [_dump_table(conn, tar, table) for table in _tables()]
        conn.rollback()
    return {"schema_revision": revision, "tables": tables}


def _dump_table(conn, tar, table) -> dict:
    columns = [cast(c, Text).label(c.name) if _is_json(c) else c for c in table.columns]
    query = select(*columns).order_by(*table.primary_key.columns)
    rows = 0
    with tempfile.TemporaryFile() as out:
        for row in conn.execute(query.execution_options(yield_per=BATCH)):
            out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False).encode() + b"\n")
            rows += 1
        out.seek(0)
        digest = _sha256(out)
        info = tarfile.TarInfo(f"database/{table.name}.jsonl")
        info.size, info.mtime, info.mode = out.tell(), int(datetime.now().timestamp()), 0o600
        out.seek(0)
        tar.addfile(info, out)
    return {"name": table.name, "columns": [c.name for c in table.columns], "rows": rows,
            "sha256": digest}


def _dump_files(tar, folder: Path) -> list[dict]:
    files = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = file.relative_to(folder).as_posix()
        if not _safe_name(name):   # temporaries (.part) and anything odd stay behind
            continue
        with open(file, "rb") as handle:
            digest = _sha256(handle)
            info = tar.gettarinfo(str(file), arcname=f"files/{name}")
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            handle.seek(0)
            tar.addfile(info, handle)
        files.append({"name": name, "size": info.size, "sha256": digest})
    return files


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and all(_PART.fullmatch(p) and p not in (".", "..") for p in parts)


# -- restore ------------------------------------------------------------------------------

def restore_backup(app, path: str | os.PathLike, *, force: bool = False) -> dict:
    """Load a backup into the app's database and upload folder; returns the manifest.

    Refuses a database that already holds rows unless ``force`` (then its contents and the
    upload folder's other files are replaced). Stop the app servers first."""
    try:
        tar = tarfile.open(path, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path}: not a readable backup archive ({exc})") from None
    folder = Path(app.config["UPLOAD_DIR"])
    staging = folder / STAGING
    with tar, app.app_context():
        shutil.rmtree(staging, ignore_errors=True)   # left by a restore that was killed
        try:
            manifest = _read_manifest(tar, path)
            _verify(tar, manifest, path)
            _stage_files(tar, manifest, staging)
            _restore_database(app.config["SQLALCHEMY_DATABASE_URI"], tar, manifest, force)
        except DAMAGED as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BackupError(f"{path}: the archive is damaged or incomplete (cut short?): "
                              f"{type(exc).__name__}: {exc}"[:400]) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _place_files(staging, manifest, folder, replace_all=force)
    return manifest


STAGING = ".restore-staging"   # a dot name: never backed up, never served
# what reading a cut or corrupted .tar.gz raises, from gzip, zlib or tarfile
DAMAGED = (EOFError, zlib.error, tarfile.TarError, OSError)


def _read_manifest(tar, path) -> dict:
    try:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    except (KeyError, AttributeError, ValueError, tarfile.TarError):
        raise BackupError(f"{path}: no readable manifest.json: not a backup of this "
                          "application") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("version") != VERSION:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r} "
                          f"version {manifest.get('version')!r}")
    if manifest.get("schema_revision") != head_revision():
        raise BackupError(f"{path}: the backup is of schema revision "
                          f"{manifest.get('schema_revision')}, this version of the application "
                          f"has {head_revision()}: restore it with the version that made it")
    expected = [(t.name, [c.name for c in t.columns]) for t in _tables()]
    try:
        found = [(t["name"], t["columns"]) for t in manifest["tables"]]
        names = [f["name"] for f in manifest["files"]]
    except (KeyError, TypeError):
        raise BackupError(f"{path}: the manifest is incomplete") from None
    if sorted(expected) != sorted(found):
        raise BackupError(f"{path}: the tables in the backup do not match the schema")
    if not all(isinstance(n, str) and _safe_name(n) for n in names):
        raise BackupError(f"{path}: the backup names a file outside the upload folder")
    return manifest


def _verify(tar, manifest, path) -> None:
    """Every member the manifest lists is there, intact, and nothing else is."""
    listed = {f"database/{t['name']}.jsonl": t["sha256"] for t in manifest["tables"]}
    listed.update({f"files/{f['name']}": f["sha256"] for f in manifest["files"]})
    members = {m.name: m for m in tar.getmembers() if m.name != "manifest.json"}
    if set(members) != set(listed):
        odd = sorted(set(members) ^ set(listed))[:3]
        raise BackupError(f"{path}: the archive's contents differ from its manifest ({odd})")
    for name, digest in listed.items():
        member = members[name]
        if not member.isfile() or _sha256(tar.extractfile(member)) != digest:
            raise BackupError(f"{path}: {name} is damaged (its SHA-256 differs from the "
                              "manifest)")
    # the compressed stream must end where gzip says it does: a cut after the last member
    # (head -c) loses only the end marker and checksum, but it is not the archive written
    while tar.fileobj.read(1 << 20):
        pass


def _stage_files(tar, manifest, staging: Path) -> None:
    """Unpack the backup's files into the staging folder (checked against the manifest)."""
    for entry in manifest["files"]:
        target = staging / entry["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(tar.extractfile(f"files/{entry['name']}"), out)


def _place_files(staging: Path, manifest, folder: Path, *, replace_all: bool) -> None:
    """After the database committed: move the staged files into place (renames within one
    file system); with ``replace_all`` remove the upload folder's other files."""
    for entry in manifest["files"]:
        target = folder / entry["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / entry["name"], target)
    shutil.rmtree(staging, ignore_errors=True)
    if replace_all:
        keep = {f["name"] for f in manifest["files"]}
        for file in [p for p in folder.rglob("*") if p.is_file()]:
            name = file.relative_to(folder).as_posix()
            if name not in keep and not name.startswith("."):
                file.unlink()


def _restore_engine(url: str):
    """An engine whose transactions really begin before the first statement, DDL included
    (SQLite's driver would otherwise run DROP TRIGGER outside the transaction)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _manual(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def _restore_database(url: str, tar, manifest: dict, force: bool) -> None:
    engine = _restore_engine(url)
    try:
        with engine.begin() as conn:
            existing = set(inspect(conn).get_table_names())
            held = {t.name: n for t in _tables() if t.name in existing
                    and (n := conn.execute(select(func.count()).select_from(t)).scalar())}
            if held and not force:   # refused before anything changed
                summary = ", ".join(f"{name} {n}" for name, n in list(held.items())[:4])
                raise BackupError(f"the database is not empty ({summary}, ...): restore into an "
                                  "empty database, or use --force to replace its contents")
            _upgrade_in(conn, url)   # inside this transaction: undone with it on any failure
            if held:
                _clear(conn)
            for table in _tables():
                _load_table(conn, tar, table)
            _check_counts(conn, manifest)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
    finally:
        engine.dispose()


def _upgrade_in(conn, url: str) -> None:
    """Create or upgrade the schema on ``conn``, within its open transaction."""
    config = alembic_config(url)
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _clear(conn) -> None:
    """Empty every table. The append-only tables' triggers refuse DELETE: PostgreSQL's
    TRUNCATE does not fire row triggers; on SQLite they are dropped and recreated inside
    this same transaction."""
    tables = list(reversed(_tables()))
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
        return
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    for table in tables:
        conn.execute(table.delete())
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)


def _insert_statement(conn, table):
    values = {}
    for column in table.columns:
        if _is_json(column):   # the JSON text as written, so SQL NULL and JSON null stay apart
            param = bindparam(column.name, type_=Text)
            values[column.name] = cast(param, column.type) if conn.dialect.name == "postgresql" \
                else param
        else:
            values[column.name] = bindparam(column.name, type_=column.type)
    return table.insert().values(values)


def _load_table(conn, tar, table) -> None:
    columns = list(table.columns)
    rows = [dict(zip([c.name for c in columns], (_decode(c, v) for c, v in zip(columns, row))))
            for row in map(json.loads, tar.extractfile(f"database/{table.name}.jsonl"))]
    rows = _parents_first(table, rows)
    statement = _insert_statement(conn, table)
    for start in range(0, len(rows), BATCH):
        conn.execute(statement, rows[start:start + BATCH])


def _parents_first(table, rows: list[dict]) -> list[dict]:
    """Rows of a table that refers to itself, every row after the rows it refers to (work
    units after their province and their successor)."""
    links = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys
             if fk.column.table is table]
    if not links:
        return rows
    placed = {parent: set() for _child, parent in links}
    ordered, waiting = [], rows
    while waiting:
        ready = [r for r in waiting
                 if all(r[child] is None or r[child] in placed[parent] for child, parent in links)]
        if not ready:   # a cycle or a missing parent: left for the database to refuse
            return ordered + waiting
        ordered += ready
        for _child, parent in links:
            placed[parent].update(r[parent] for r in ready)
        taken = {id(r) for r in ready}
        waiting = [r for r in waiting if id(r) not in taken]
    return ordered


def _check_counts(conn, manifest: dict) -> None:
    tables = {t.name: t for t in _tables()}
    for entry in manifest["tables"]:
        count = conn.execute(select(func.count()).select_from(tables[entry["name"]])).scalar()
        if count != entry["rows"]:
            raise BackupError(f"{entry['name']}: {count} rows restored, the manifest says "
                              f"{entry['rows']}")


def _reset_sequences(conn) -> None:
    """The next id of every serial column follows the restored rows."""
    quote = conn.dialect.identifier_preparer.quote
    for table in _tables():
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer):
            column = key[0]
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                f"COALESCE((SELECT MAX({quote(column.name)}) FROM {quote(table.name)}), 0) + 1, "
                "false)"), {"t": quote(table.name), "c": column.name})
