"""The shape of assessment/: the transaction belongs to the boundary (assessment/transaction.py),
so views and operations never commit or roll back, and a view that answers a refused
operation itself runs it in attempt() (a savepoint), so the refusal leaves nothing behind."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "assessment"
BOUNDARY_FREE = sorted([*ROOT.joinpath("views").rglob("*.py"),
                        *ROOT.joinpath("operations").rglob("*.py")])
REFUSALS = {"OperationError", "Invalid", "Conflict", "Closed", "NotAllowed"}


def _name(node) -> str:
    return getattr(node, "id", None) or getattr(node, "attr", "")


def transaction_calls(tree) -> list[str]:
    return [f"line {n.lineno}: .{n.func.attr}()" for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("commit", "rollback")]


def unguarded_refusals(tree) -> list[str]:
    """``try`` blocks that catch an OperationError and answer it (not re-raise it) without
    running the body in attempt()."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        answering = [h for h in node.handlers if h.type is not None
                     and not isinstance(h.body[-1], ast.Raise)
                     and any(_name(t) in REFUSALS for t in
                             (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))]
        if not answering:
            continue
        guarded = len(node.body) == 1 and isinstance(node.body[0], ast.With) and any(
            isinstance(item.context_expr, ast.Call) and _name(item.context_expr.func) == "attempt"
            for item in node.body[0].items)
        if not guarded:
            found.append(f"line {node.lineno}: except OperationError without attempt()")
    return found


@pytest.mark.parametrize("path", BOUNDARY_FREE, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_and_operations_never_commit_or_roll_back(path):
    assert transaction_calls(ast.parse(path.read_text(), str(path))) == []


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("views").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_views_answer_refusals_only_after_a_savepoint(path):
    assert unguarded_refusals(ast.parse(path.read_text(), str(path))) == []


def test_the_checks_find_what_they_look_for():
    bad = ast.parse("def view():\n    try:\n        op()\n    except Invalid:\n        pass\n"
                    "    db.session.commit()\n")
    good = ast.parse("def view():\n    try:\n        with attempt():\n            op()\n"
                     "    except OperationError:\n        pass\n")
    assert transaction_calls(bad) == ["line 6: .commit()"]
    assert unguarded_refusals(bad) == ["line 2: except OperationError without attempt()"]
    assert transaction_calls(good) == [] and unguarded_refusals(good) == []
