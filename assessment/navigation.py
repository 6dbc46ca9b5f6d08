"""The menu: blueprints declare their entries with the roles that see them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import get_locale
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object          # a lazy string
    roles: tuple[str, ...]
    order: int = 50


_ITEMS: list[NavItem] = []


def nav(endpoint: str, label, roles, order: int = 50) -> None:
    """Declare a menu entry (once, at import time of the blueprint module)."""
    if all(i.endpoint != endpoint for i in _ITEMS):
        _ITEMS.append(NavItem(endpoint, label, tuple(roles), order))


def nav_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    return [{"endpoint": i.endpoint, "label": str(i.label), "url": url_for(i.endpoint)}
            for i in sorted(_ITEMS, key=lambda i: i.order)
            if current_user.role in i.roles and i.endpoint in views]


def current_lang() -> str:
    try:
        return str(get_locale() or "id")[:2]
    except (RuntimeError, AttributeError):
        return "id"


def init_app(app) -> None:
    app.jinja_env.globals.update(nav_items=nav_items, current_lang=current_lang)
