"""First start on an empty database: schema, work units, default rubric, administrator."""
from __future__ import annotations

import secrets

from rubrics import default_rubric_path

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
        store_rubric(db.session, default_rubric_path().read_bytes(), default_rubric_path().name)
        password = None
        if db.session.query(User).filter_by(role="admin").count() == 0:
            password = secrets.token_urlsafe(12)
            admin = User(username="admin", name="Administrator Biro Parmas", role="admin")
            admin.set_password(password)
            db.session.add(admin)
            db.session.flush()
            audit.record("user.create", admin, user=admin, role="admin", by="first start")
        db.session.commit()
        return password
