"""The menu: blueprints declare their entries with the roles that see them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# the bureau's season pages, folded into one menu entry so the admin's bar fits the screen
SEASON = _l("Season")
# the registry, rubric editions and audit log: one drop-down for the same reason
ADMINISTRATION = _l("Administration")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object          # a lazy string
    roles: tuple[str, ...]
    order: int = 50
    group: object = None   # a lazy string: shown inside that drop-down menu


_ITEMS: list[NavItem] = []


def nav(endpoint: str, label, roles, order: int = 50, group=None) -> None:
    """Declare a menu entry (once, at import time of the blueprint module)."""
    if all(i.endpoint != endpoint for i in _ITEMS):
        _ITEMS.append(NavItem(endpoint, label, tuple(roles), order, group))


def nav_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    out, groups = [], {}
    for i in sorted(_ITEMS, key=lambda i: i.order):
        if current_user.role not in i.roles or i.endpoint not in views:
            continue
        entry = {"endpoint": i.endpoint, "label": str(i.label), "url": url_for(i.endpoint)}
        if i.group is None:
            out.append(entry)
            continue
        label = str(i.group)
        if label not in groups:
            groups[label] = {"group": label, "items": []}
            out.append(groups[label])
        groups[label]["items"].append(entry)
    return out


def current_lang() -> str:
    try:
        return str(get_locale() or "id")[:2]
    except (RuntimeError, AttributeError):
        return "id"


def init_app(app) -> None:
    app.jinja_env.globals.update(nav_items=nav_items, current_lang=current_lang)
