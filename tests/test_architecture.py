"""The shape of assessment/: the transaction belongs to the boundary (assessment/transaction.py),
so views and operations never commit or roll back, and a view that answers a refused
operation itself runs it in attempt() (a savepoint), so the refusal leaves nothing behind.
The modules of assessment/ import one another without cycles (module level and inside
functions alike), and import inside a function only to break a cycle the line documents
with ``# cycle: <which>``."""
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


# -- a structure that does not double back ----------------------------------------------------

PACKAGE = ROOT.parent
MODULES = {".".join(p.relative_to(PACKAGE).with_suffix("").parts[:-1] if p.name == "__init__.py"
                    else p.relative_to(PACKAGE).with_suffix("").parts): p
           for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts}
CYCLE_MARK = "# cycle:"
LAZY_MARK = "# lazy:"   # a heavy third-party library imported where it is first needed


def imported_modules(path: Path, node) -> set[str]:
    """The modules of assessment/ an import statement names (relative imports resolved; a
    name imported from a package counts as its module when it is one)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(parts[:-1])
    if isinstance(node, ast.Import):
        return {a.name for a in node.names} & MODULES.keys()
    base = package[:len(package) - node.level + 1] if node.level else []
    target = ".".join(base + (node.module.split(".") if node.module else []))
    named = {f"{target}.{a.name}" for a in node.names} & MODULES.keys()
    return named | ({target} & MODULES.keys() if len(named) < len(node.names) else set())


def documented(lines: list[str], node, mark: str = CYCLE_MARK) -> bool:
    """An import that breaks a cycle says so: ``# cycle: <which>`` on its line, or on the
    comment lines just above it (``mark``: another such comment)."""
    above, number = [], node.lineno - 2
    while number >= 0 and lines[number].strip().startswith("#"):
        above.append(lines[number])
        number -= 1
    return any(mark in line for line in [*lines[node.lineno - 1:node.end_lineno], *above])


def lazy_third_party(path: Path, node, lines: list[str]) -> bool:
    """An import inside a function that loads a heavy library only when needed says so
    (``# lazy: <why>``) and imports nothing of the project's own."""
    return (not getattr(node, "level", 0) and not imported_modules(path, node)
            and documented(lines, node, LAZY_MARK))


def imports_of(path: Path):
    """(node, inside a function, documented) for every import statement of ``path``."""
    text = path.read_text("utf-8")
    tree, lines = ast.parse(text, str(path)), text.splitlines()
    inside = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, id(node) in inside, documented(lines, node)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules it imports, at module level and inside functions alike; an
    import documented as breaking a cycle is left out (it is the one edge allowed back)."""
    return {name: {target for node, _inside, marked in imports_of(path) if not marked
                   for target in imported_modules(path, node)} - {name}
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path round each cycle found by a depth-first walk (iterative)."""
    found, state = [], {}
    for start in sorted(graph):
        if state.get(start):
            continue
        state[start], trail, stack = 1, [start], [iter(sorted(graph[start]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                found.append(trail[trail.index(nxt):] + [nxt])
            elif nxt in graph and not state.get(nxt):
                state[nxt] = 1
                trail.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return found


def test_no_import_cycles_between_modules_of_assessment():
    assert cycles(import_graph(MODULES)) == []


def test_imports_inside_functions_only_to_break_a_documented_cycle_or_load_a_library_lazily():
    inside = [f"{path.relative_to(PACKAGE)}:{node.lineno}"
              for path in MODULES.values() for node, in_function, marked in imports_of(path)
              if in_function and not marked
              and not lazy_third_party(path, node, path.read_text("utf-8").splitlines())]
    assert inside == []


def test_the_import_checks_find_what_they_look_for(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = tmp_path / "m.py"
    source.write_text("import os\n\ndef f():\n    import json\n"
                      "    # cycle: m -> n -> m, n needs m at import\n    from . import n\n"
                      "    from . import k  # cycle: k imports m\n")
    found = [(node.lineno, inside, marked) for node, inside, marked in imports_of(source)]
    assert sorted(found) == [(1, False, False), (4, True, False), (6, True, True),
                             (7, True, True)]
    text = ("def f():\n    import redis  # lazy: heavy\n    import json\n"
            "    from assessment import audit  # lazy: the project's own is not a library\n")
    tree, lines = ast.parse(text), text.splitlines()
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [lazy_third_party(ROOT / "m.py", n, lines) for n in imports] == [True, False, False]


# -- page data built in operations, not in views ---------------------------------------------

QUERY_METHODS = {"query", "scalars", "scalar", "execute"}
# Views that still issue queries themselves: each is work left (issue 10, "page data built in
# operations"). A module leaves the list when its queries move to operations/; the list may
# only shrink (test_query_allow_list_is_current fails on a name that no longer queries).
STILL_QUERYING: set[str] = set()
VIEWS = sorted(ROOT.joinpath("views").rglob("*.py"))


def _receiver(node) -> list[str]:
    """The names of an attribute chain, innermost last: ``db.session.query`` -> session, db."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return names + ([node.id] if isinstance(node, ast.Name) else [])


def query_calls(tree) -> list[str]:
    """Calls that send a query: ``.query/.scalars/.scalar/.execute`` on a session
    (``db.session.query``, ``session.execute``) and SQLAlchemy's ``select(...)``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in QUERY_METHODS
                and "session" in _receiver(func.value)):
            found.append(f"line {node.lineno}: session.{func.attr}()")
        elif _name(func) == "select" and (isinstance(func, ast.Name)
                                          or _receiver(func.value) in (["sa"], ["sqlalchemy"])):
            found.append(f"line {node.lineno}: select()")
    return sorted(found, key=lambda s: int(s.split()[1].rstrip(":")))


@pytest.mark.parametrize("path", [p for p in VIEWS if p.name not in STILL_QUERYING],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_views_leave_queries_to_operations(path):
    """A view loads (get/404), checks permission, builds its form and calls operations: the
    queries and the shaping of page data live in assessment/operations/."""
    assert query_calls(ast.parse(path.read_text(), str(path))) == []


def test_query_allow_list_is_current():
    """Every module on STILL_QUERYING exists and still queries: the list shows what is left."""
    views = {p.name: p for p in VIEWS}
    stale = sorted(name for name in STILL_QUERYING if name not in views
                   or not query_calls(ast.parse(views[name].read_text(), name)))
    assert stale == []


def test_the_query_check_finds_what_it_looks_for():
    tree = ast.parse("def view():\n    db.session.query(User).all()\n"
                     "    rows = db.session.scalars(select(Period)).all()\n"
                     "    session.execute(sa.select(User))\n"
                     "    db.session.get(User, 1)\n    form.select(1)\n    q.query\n")
    assert query_calls(tree) == ["line 2: session.query()", "line 3: session.scalars()",
                                 "line 3: select()", "line 4: session.execute()",
                                 "line 4: select()"]
    assert query_calls(ast.parse("def view():\n    return ops.page(db.session, period)\n")) == []
