"""Template classes of mistakes that only show in some configurations."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "assessment" / "templates"
CALL = re.compile(r"\{\{\s*(\w+)\.csrf_token\b")
GUARDED = re.compile(r"\{%\s*if\s+(\w+)\.meta\.csrf\s*%\}\s*\{\{\s*(\w+)\.csrf_token\(id=false\)")


def test_form_csrf_fields_are_guarded_by_the_forms_own_setting():
    """A form built with CSRF off (tests, the JSON API's forms) has no csrf_token field:
    rendering form.csrf_token unguarded is a 500 there, so every call sits inside
    ``{% if form.meta.csrf %}``."""
    unguarded = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text("utf-8")
        guarded = {m.start(0) + m.group(0).index("{{") for m in GUARDED.finditer(text)
                   if m.group(1) == m.group(2)}
        for m in CALL.finditer(text):
            if m.start() not in guarded:
                line = text.count("\n", 0, m.start()) + 1
                unguarded.append(f"{path.relative_to(TEMPLATES)}:{line}")
    assert unguarded == []
