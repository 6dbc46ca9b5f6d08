"""rubrics/, scoring/ and reports/ stay plain libraries: no web or database imports."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"flask", "flask_wtf", "flask_login", "flask_babel", "flask_bootstrap", "wtforms",
             "sqlalchemy", "alembic", "assessment"}
# Dependencies point one way: rubrics -> scoring -> reports -> assessment.
ALLOWED_UPWARDS = {"rubrics": set(), "scoring": {"rubrics"}, "reports": {"rubrics", "scoring"}}


def imported_roots(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(ALLOWED_UPWARDS))
def test_plain_library_imports(package):
    own = set(ALLOWED_UPWARDS) - ALLOWED_UPWARDS[package] - {package}
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    for path in files:
        roots = set(imported_roots(path))
        assert not roots & FORBIDDEN, f"{path.relative_to(ROOT)} imports {roots & FORBIDDEN}"
        assert not roots & own, f"{path.relative_to(ROOT)} imports upwards: {roots & own}"
