#!/usr/bin/env python3
"""Benchmark: CPU time per PDF scorecard (reports.scorecard), target <= 0.1 s.

553 units (KPU RI, 38 KPU Provinsi, 514 kab/kota from ../shared/data/wilayah), the default
rubric, two judges; scorecard data and PDF for the first ``--count`` units, fonts
registered once (the first scorecard is timed apart). Prints figures, asserts nothing.

    python bench/scorecard.py --count 100
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from report_workbook import national_units  # noqa: E402
from rubrics import default_rubric_path, load_rubric  # noqa: E402
from scoring import Assessment, score  # noqa: E402
from scoring.synthetic import responses_for  # noqa: E402
from reports.feedback import baselines  # noqa: E402
from reports.scorecard import scorecard_data, scorecard_pdf  # noqa: E402
from scoring.order import tie_breaks  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args(argv)
    rubric = load_rubric(default_rubric_path())
    units = national_units()
    result = score(rubric, Assessment(rubric.id, tuple(units),
                                      tuple(responses_for(rubric, units, judges=2))), detail=True)
    means, ties = baselines(result), tie_breaks(rubric, result)
    comments = {"sk": [(1, "Lengkapi SK."), (2, "SK belum ditandatangani.")]}
    rows = result.ranking[:args.count]
    start = time.process_time()
    first = scorecard_pdf(scorecard_data(result, rubric, rows[0].unit.code, means=means,
                                         ties=ties),
                          period_title="Penilaian Bakohumas 2025", run_number=1,
                          input_sha256="ab" * 32)
    first_cpu = time.process_time() - start
    cpu, size = [], []
    for row in rows:
        start = time.process_time()
        data = scorecard_data(result, rubric, row.unit.code, means=means, ties=ties,
                              comments=comments)
        pdf = scorecard_pdf(data, period_title="Penilaian Bakohumas 2025", run_number=1,
                            input_sha256="ab" * 32)
        cpu.append(time.process_time() - start)
        size.append(len(pdf))
    print(f"first scorecard (fonts registered): {first_cpu:.3f} s CPU, {len(first)} bytes")
    print(f"{len(cpu)} scorecards: median {statistics.median(cpu):.4f} s CPU, "
          f"max {max(cpu):.4f} s, total {sum(cpu):.2f} s; median size "
          f"{statistics.median(size) / 1024:.0f} KiB (target <= 0.1 s each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
