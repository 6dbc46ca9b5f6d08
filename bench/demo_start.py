"""How long ``python run.py --demo`` takes to create its demo on a fresh database.

    python bench/demo_start.py                 # 3 runs on SQLite, prints the median
    python bench/demo_start.py --runs 5 --profile demo.prof

Each run is a child process doing what ``run.py --demo`` does before it serves (migrate,
seed, create the demo) on a new SQLite file in a temporary folder, so imports and the first
start are counted too. Wall and CPU seconds are printed per run and as medians; the machine
should be idle for the wall figure to mean anything. ``--profile FILE`` writes a cProfile
of one extra run (read it with ``python -m pstats FILE``).
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


def one_run(profile: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder}/demo.db",
                   UPLOAD_DIR=f"{folder}/uploads")
        env.pop("REDIS_URL", None)
        child = Path(folder) / "child.py"
        child.write_text(CHILD.format(root=str(ROOT)))
        command = [sys.executable]
        if profile:
            command += ["-m", "cProfile", "-o", str(Path(profile).resolve())]
        command.append(str(child))
        out = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one extra run to this file")
    args = parser.parse_args(argv)
    runs = []
    for n in range(args.runs):
        runs.append(one_run())
        print(f"run {n + 1}: {runs[-1]['wall']:.1f} s wall, {runs[-1]['cpu']:.1f} s CPU")
    if runs:
        print(f"median of {args.runs}: {statistics.median(r['wall'] for r in runs):.1f} s wall, "
              f"{statistics.median(r['cpu'] for r in runs):.1f} s CPU")
    if args.profile:
        one_run(args.profile)
        print(f"profile written to {args.profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
