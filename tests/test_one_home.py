"""One home for each rule: the repeated expressions the architecture review found stay gone,
the helpers that replaced them agree with the predicates they stand for, and the modules
split out of the questionnaire import neither each other in a circle nor inside functions."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from assessment.models import WorkUnit
from assessment.permissions import can_view_unit, operator_unit, units_visible_to

ROOT = Path(__file__).resolve().parent.parent
CODE = [p for d in ("assessment", "reports", "scoring", "rubrics") for p in (ROOT / d).rglob("*.py")
        if "migrations" not in p.parts]
# the modules of this change: deadlines, answers, submission, permissions and their neighbours
OWN = ["assessment/operations/editability.py", "assessment/operations/answers.py",
       "assessment/operations/submission.py", "assessment/operations/questionnaire.py",
       "assessment/operations/revision.py", "assessment/operations/verification.py",
       "assessment/operations/periods.py",
       "assessment/permissions.py", "reports/indonesian.py", "reports/questionnaire_xlsx.py",
       "scoring/answers.py"]


def grep(pattern: str, paths=CODE) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    return found


@pytest.mark.parametrize("pattern, home", [
    # the operator's unit: permissions.operator_unit
    (r'current_user\.unit if current_user\.role == "operator"', None),
    (r'role != "operator" or current_user\.unit is None', None),
    # reading typed answers: scoring.answers (parse_answer, sort_answers)
    (r"def (_sort_out|parse_raw|_yes_no|_parse_yesno)\b", None),
    (r'"benar"', "scoring/answers.py"),
    # WIB and Indonesian month names: reports.indonesian (Babel underneath)
    (r'ZoneInfo\("Asia/Jakarta"\)', "reports/indonesian.py"),
    (r"timezone\(timedelta\(hours=(7|TIME_ZONES)", None),
    (r'"Agustus"', None),
    # category names on pages: assessment.progress.LEVEL_LABELS (reports: reports.indonesian)
    (r'_l\("KPU Provinces"\)', "assessment/progress.py"),
    (r'"KPU/KIP Kabupaten/Kota"', "reports/indonesian.py"),
    # text XML cannot hold, out of every workbook: reports.cells (openpyxl's own pattern
    # misses U+FFFE and U+FFFF, which made the questionnaire workbook unreadable)
    (r"ILLEGAL_CHARACTERS_RE", None),
])
def test_a_rule_has_one_home(pattern, home):
    found = grep(pattern)
    if home is None:
        assert found == []
    else:
        assert found and all(place.startswith(home + ":") for place in found), found


def test_one_function_per_name_for_judge_comments():
    assert len(grep(r"def judge_comments\b")) == 1


def test_no_imports_inside_functions_in_the_split_modules():
    inside = []
    for name in OWN:
        tree = ast.parse((ROOT / name).read_text("utf-8"))
        for func in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            inside += [f"{name}:{n.lineno}" for n in ast.walk(func)
                       if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert inside == []


def _module_imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` imported at the top level of ``path`` (relative imports resolved)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    here = list(parts[:-1]) if parts[-1] != "__init__" else list(parts[:-1])
    out = set()
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            target = ".".join(base + (node.module.split(".") if node.module else []))
            names = [target + "." + a.name for a in node.names] + [target]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out |= {n for n in names if n.startswith(package) and
                (ROOT / (n.replace(".", "/") + ".py")).exists()}
    return out


def test_no_import_cycles_between_operations_permissions_and_progress():
    files = list((ROOT / "assessment" / "operations").glob("*.py")) + [
        ROOT / "assessment" / "permissions.py", ROOT / "assessment" / "progress.py"]
    graph = {".".join(p.relative_to(ROOT).with_suffix("").parts): _module_imports(p, "assessment")
             for p in files}
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail + [node]))
        if state.get(node) == 2 or node not in graph:
            return
        state[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, trail + [node])
        state[node] = 2

    for module in sorted(graph):
        visit(module, [])


def test_units_visible_to_is_can_view_unit_as_a_query(session, make_user):
    users = [make_user(username="admin-x", role="admin"), make_user(username="op-x", unit_code="33.74"),
             make_user(username="mon-x", role="monitor", unit_code="33"),
             make_user(username="judge-x", role="judge")]
    units = session.query(WorkUnit).all()
    for user in users:
        listed = {u.code for u in session.query(WorkUnit).filter(units_visible_to(user))}
        assert listed == {u.code for u in units if can_view_unit(user, u)}, user.username
    assert operator_unit(users[1]).code == "33.74"
    assert [operator_unit(u) for u in (users[0], users[2], users[3])] == [None, None, None]
    assert session.query(WorkUnit).filter(units_visible_to(None)).count() == 0
