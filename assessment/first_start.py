"""First start on an empty database: schema, work units, rubric editions, administrator."""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from rubrics.loader import stored_at_first_start

from . import audit
from .extensions import db
from .migrate import upgrade_app
from .models import User, WorkUnit
from .registry import load_default
from .rubric_store import store_rubric


def prepare(app) -> str | None:
    """Upgrade the schema and seed an empty database; returns a new admin's one-time
    password when an administrator was created, else None."""
    upgrade_app(app)
    with app.app_context():
        if db.session.query(WorkUnit).count() == 0:
            load_default(db.session)
        for edition in stored_at_first_start():   # the 2025 edition stays for its periods
            store_rubric(db.session, edition.read_bytes(), edition.name)
        password = None
        if db.session.query(User).filter_by(role="admin").count() == 0:
            password = secrets.token_urlsafe(12)
            admin = User(username="admin", name="Administrator Biro Parmas", role="admin")
            admin.set_password(password, one_time=True)   # changed at the first login
            db.session.add(admin)
            db.session.flush()
            audit.record("user.create", admin, user=admin, role="admin", by="first start")
        db.session.commit()
        return password


def password_file(app) -> Path:
    """Where a one-time password goes when no terminal can show it (ADMIN_PASSWORD_FILE)."""
    return Path(os.environ.get("ADMIN_PASSWORD_FILE")
                or os.path.join(app.instance_path, "admin-password.txt"))


def announce_password(app, password: str, stream=None) -> str:
    """Show a new administrator's one-time password to the person who started the process,
    never in a log: on the terminal when there is one, else in an owner-only file (0600).
    Returns a line that may be logged (it holds no password)."""
    stream = stream or sys.stdout
    if stream.isatty():
        print(f"Administrator account created: username 'admin', one-time password: "
              f"{password}\nChange it after the first login; it is not shown again.",
              file=stream, flush=True)
        return "Administrator account created: its one-time password was shown on the terminal"
    path = password_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username: admin\none-time password: {password}\n"
                     "Change it after the first login, then delete this file.\n")
    line = f"Administrator account created: its one-time password is in {path} (owner only)"
    print(line, file=stream, flush=True)
    return line
