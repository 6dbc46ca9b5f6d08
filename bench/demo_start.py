"""How long ``python run.py --demo`` takes to create its demo on a fresh database.

    python bench/demo_start.py                 # 3 runs on SQLite, prints the median
    python bench/demo_start.py --runs 5 --profile demo.prof

Each run is a child process doing what ``run.py --demo`` does before it serves (migrate,
seed, create the demo) on a new SQLite file in a temporary folder, so imports and the first
start are counted too. Wall and CPU seconds are printed per run and as medians; the machine
should be idle for the wall figure to mean anything. ``--profile FILE`` writes a cProfile
of one extra run (read it with ``python -m pstats FILE``).

Compiled bytecode: the children write and read it in a cache of their own (a temporary
PYTHONPYCACHEPREFIX, warmed by one untimed import), as every start after a checkout's first
does; ``--cold`` compiles every module in every run instead (what a run under
PYTHONDONTWRITEBYTECODE=1 measures). ``--root DIR`` measures the code of another checkout
(e.g. an older commit from ``git archive``) with this script.

The machine is shared: before each run a child times a fixed pure-Python workload (the
yardstick, about half a second of CPU on an idle core), and each run's CPU is also given
as a ratio to the yardstick of the same moment.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

YARDSTICK = """
import json, time
from fractions import Fraction
cpu = time.process_time()
rows = [{{"unit": str(n), "value": Fraction(n % 7, 3), "items": list(range(n % 5))}}
        for n in range(20000)]
text = json.dumps([dict(r, value=str(r["value"])) for r in rows])
total = sum(Fraction(r["value"]) for r in json.loads(text))
ordered = sorted(rows, key=lambda r: (r["value"], r["unit"]))
print(json.dumps({{"cpu": time.process_time() - cpu}}))
"""

CHILD = """
import json, os, sys, time
sys.path.insert(0, {root!r})
wall, cpu = time.perf_counter(), time.process_time()
import run
from assessment.demo import create_demo
from assessment.first_start import prepare
app = run.make_app(demo=True, SECRET_KEY="bench-demo-start-secret")
prepare(app)
with app.app_context():
    create_demo(app)
print(json.dumps({{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}}))
"""


def child_env(folder: str, pycache: str | None) -> dict:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder}/demo.db",
               UPLOAD_DIR=f"{folder}/uploads")
    env.pop("REDIS_URL", None)
    if pycache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def one_run(root: Path, pycache: str | None, profile: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        child = Path(folder) / "child.py"
        child.write_text(CHILD.format(root=str(root)))
        command = [sys.executable]
        if profile:
            command += ["-m", "cProfile", "-o", str(Path(profile).resolve())]
        command.append(str(child))
        out = subprocess.run(command, env=child_env(folder, pycache), cwd=folder,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])


def yardstick() -> float:
    out = subprocess.run([sys.executable, "-c", YARDSTICK.format()], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["cpu"]


def warm(root: Path, pycache: str) -> None:
    """Write the bytecode cache: import what a run imports, untimed."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(root)!r}); "
                        "import run, assessment.demo, assessment.first_start, assessment.migrate; "
                        "from assessment.migrate import scripts; "
                        "[s.module for s in scripts().walk_revisions()]"],
                       env=child_env(folder, pycache), cwd=folder, check=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one extra run to this file")
    parser.add_argument("--cold", action="store_true",
                        help="no bytecode cache: every run compiles every module")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout whose code is measured (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    with tempfile.TemporaryDirectory() as cache:
        pycache = None if args.cold else cache
        if pycache:
            warm(root, pycache)
        runs = []
        for n in range(args.runs):
            stick = yardstick()
            runs.append(dict(one_run(root, pycache), yardstick=stick))
            run = runs[-1]
            print(f"run {n + 1}: {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU; "
                  f"yardstick {stick:.2f} s CPU, ratio {run['cpu'] / stick:.1f}; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        if runs:
            print(f"median of {args.runs}: {statistics.median(r['wall'] for r in runs):.1f} s wall, "
                  f"{statistics.median(r['cpu'] for r in runs):.1f} s CPU, ratio to the yardstick "
                  f"{statistics.median(r['cpu'] / r['yardstick'] for r in runs):.1f} "
                  f"({root}, {'cold' if args.cold else 'bytecode cached'})")
        if args.profile:
            one_run(root, pycache, args.profile)
            print(f"profile written to {args.profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
