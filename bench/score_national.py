#!/usr/bin/env python3
"""Benchmark: the offline ``score`` command on a national-scale input.

What it measures
    The time and peak memory of ``python run.py score RUBRIC RESPONSES --out OUT.json`` on
    one response per village of Indonesia (83,762 units in 38 province categories; 60
    scored indicators, each answered by the unit and by 3 judges), against a yardstick: a
    Python process that only does ``json.load`` of the same responses file. The target is
    that the score command takes at most 3x the time of loading its input.

How
    1. A deterministic input (seeded ``random.Random``) is written to the work folder
       (default ``bench/out/``, git-ignored) and reused on later runs unless
       ``--regenerate`` is given.
    2. The yardstick (A) and the command (B) each run in a fresh subprocess, interleaved
       A B A B ... ``--repeat`` times so that machine noise hits both alike. Wall time is
       taken around each child; peak RSS comes from the child's own rusage (``os.wait4``).
       The file is read once beforehand so that every run starts with it in the page cache.
    3. The command's exit status and the number of ranking rows are checked; any failure
       stops the benchmark with exit status 1.

This is a benchmark, not a test: it reports figures and never asserts on time.

Run from the repository root:
    python bench/score_national.py                 # full scale, 3 pairs of runs
    python bench/score_national.py --units 5000    # a quick run on the first 5,000 villages
    python bench/score_national.py --repeat 5 --json
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
VILLAGES = Path("/work/shared/data/wilayah/villages.csv")
RUBRIC_ID = "bakohumas-bench"
SEED = 20250101
JUDGES = ("penilai-01", "penilai-02", "penilai-03")
TARGET_RATIO = 3.0
YARDSTICK_CODE = "import json, sys\nwith open(sys.argv[1], 'rb') as f:\n    json.load(f)\n"

# (aspect id, abbreviation, weight); each aspect gets six scored indicators.
ASPECTS = [("kelembagaan", "kl", 15), ("perencanaan", "pr", 10), ("media-sosial", "ms", 15),
           ("website", "wb", 10), ("publikasi", "pb", 10), ("kemitraan", "km", 5),
           ("pengaduan", "pg", 10), ("dokumentasi", "dk", 5), ("inovasi", "in", 10),
           ("evaluasi", "ev", 10)]
TYPES = ("yesno", "scale", "number", "choice", "scale", "yesno")
LEVELS = ["Tidak ada", "Draf", "Ditetapkan", "Ditetapkan dan disosialisasikan",
          "Dievaluasi berkala"]
BANDS = [[0, 0], [1, 0.25], [3, 0.5], [6, 0.75], [10, 1]]
OPTIONS = ["website", "instagram", "x", "facebook", "youtube", "tiktok"]
TEXT_ASPECTS = ("kelembagaan", "inovasi")    # these also get an unscored text indicator


# -- the input -------------------------------------------------------------------------------
def indicator_spec(abbr: str, k: int, kind: str) -> dict:
    """One scored indicator of the benchmark rubric."""
    spec = {"id": f"{abbr}-{k}", "type": kind, "weight": (1, 2, 1.5)[k % 3],
            "question": f"Pertanyaan {abbr}-{k}"}
    if kind == "scale":
        spec["levels"] = LEVELS
    elif kind == "number":
        spec.update(unit="kegiatan per bulan", bands=BANDS)
    elif kind == "choice":
        spec.update(options=OPTIONS, full_at=4)
    return spec


def rubric_doc() -> dict:
    """The benchmark rubric: 10 aspects x 6 scored indicators, 2 stages, 3 awards."""
    aspects = []
    for aspect_id, abbr, weight in ASPECTS:
        inds = [indicator_spec(abbr, k, kind) for k, kind in enumerate(TYPES, 1)]
        if aspect_id in TEXT_ASPECTS:
            inds.append({"id": f"{abbr}-uraian", "type": "text",
                         "question": "Uraikan praktik baik"})
        aspects.append({"id": aspect_id, "title": aspect_id.replace("-", " ").title(),
                        "weight": weight, "indicators": inds})
    awards = [{"id": f"terbaik-{code}", "title": f"Terbaik Provinsi {code}", "category": code,
               "aspects": aspect_ids, "winners": 3}
              for code, aspect_ids in (("33", ["media-sosial", "website"]),
                                       ("35", ["publikasi"]), ("11", ["inovasi", "evaluasi"]))]
    return {"id": RUBRIC_ID, "title": "Rubrik uji beban nasional", "aggregate": "mean",
            "predicates": [{"min": 90, "label": "Sangat Baik"}, {"min": 75, "label": "Baik"},
                           {"min": 60, "label": "Cukup"}, {"min": 0, "label": "Kurang"}],
            "tie_break": ["kelembagaan", "media-sosial"],
            "stages": [{"id": "verifikasi", "weight": 70},
                       {"id": "presentasi", "weight": 30, "shortlist": 10, "pass_mark": 60}],
            "awards": awards, "aspects": aspects}


def read_villages(limit: int | None) -> list[dict]:
    """Exchange-format units for the first ``limit`` villages (all when None)."""
    units = []
    with VILLAGES.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if limit is not None and len(units) >= limit:
                break
            units.append({"code": row["kode"], "name": row["nama"], "category": row["kode"][:2]})
    return units


def self_answer(rng: random.Random, kind: str, quality: float):
    """A unit's own answer; ``quality`` (0..1) makes some units better than others."""
    if kind == "yesno":
        return rng.random() < quality
    if kind == "scale":
        return min(4, max(0, round(quality * 4 + rng.gauss(0, 0.8))))
    if kind == "number":
        return round(rng.uniform(0, 12 * quality), 1) if rng.random() < 0.5 else rng.randint(0, 12)
    return rng.sample(OPTIONS, min(6, max(0, round(quality * 6 + rng.gauss(0, 1)))))


def judge_answer(rng: random.Random, kind: str, claimed):
    """A judge's answer: the unit's claim, confirmed or marked down a little."""
    if kind == "yesno":
        return claimed and rng.random() < 0.9
    if kind == "scale":
        return max(0, claimed - rng.choice((0, 0, 0, 1)))
    if kind == "number":
        return round(claimed * rng.choice((1, 1, 0.8)), 1)
    return claimed[: len(claimed) - rng.choice((0, 0, 1))] if claimed else []


def response_for(rng: random.Random, code: str, indicators: list[tuple[str, str]]) -> dict:
    """One unit's full response: self, 3 judges, sometimes moderated and stage scores."""
    quality = rng.random()
    own = {ind: (self_answer(rng, kind, quality) if kind != "text" else "Praktik baik unit.")
           for ind, kind in indicators}
    scored = [(ind, kind) for ind, kind in indicators if kind != "text"]
    judges = {name: {ind: judge_answer(rng, kind, own[ind]) for ind, kind in scored}
              for name in JUDGES}
    response = {"unit": code, "self": own, "judges": judges}
    if rng.random() < 0.02:
        picked = rng.sample(scored, 3)
        response["moderated"] = {ind: judge_answer(rng, kind, own[ind]) for ind, kind in picked}
    if rng.random() < 0.15:
        response["stages"] = {"presentasi": {name: round(rng.uniform(40, 100), 1)
                                             for name in JUDGES}}
    return response


def write_responses(path: Path, rubric: dict, units: list[dict]) -> None:
    """Stream the exchange file (one response at a time) and move it into place when done."""
    rng = random.Random(SEED)
    indicators = [(i["id"], i["type"]) for a in rubric["aspects"] for i in a["indicators"]]
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        units_json = json.dumps(units, ensure_ascii=False)
        out.write(f'{{"rubric": {json.dumps(RUBRIC_ID)}, "units": {units_json}, "responses": [')
        for n, unit in enumerate(units):
            out.write(",\n" if n else "\n")
            out.write(json.dumps(response_for(rng, unit["code"], indicators), ensure_ascii=False))
        out.write("\n]}\n")
    tmp.replace(path)


def prepare_input(workdir: Path, units: int | None, regenerate: bool) -> tuple[Path, Path, int]:
    """(rubric path, responses path, number of units), generating the files when needed."""
    villages = read_villages(units)
    rubric_path = workdir / "rubric.yaml"
    responses_path = workdir / f"responses-{len(villages)}.json"
    if rubric_path.exists() and responses_path.exists() and not regenerate:
        print(f"reusing {rubric_path} and {responses_path} (--regenerate to rebuild them)")
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        rubric = rubric_doc()
        rubric_path.write_text(yaml.safe_dump(rubric, sort_keys=False, allow_unicode=True),
                               encoding="utf-8")
        started = time.perf_counter()
        write_responses(responses_path, rubric, villages)
        print(f"generated {rubric_path} and {responses_path} "
              f"in {time.perf_counter() - started:.1f} s")
    size = responses_path.stat().st_size
    print(f"responses file: {size:,} bytes ({size / 2**20:.1f} MiB), {len(villages):,} units")
    return rubric_path, responses_path, len(villages)


# -- the measurements ----------------------------------------------------------------------------
def run_child(argv: list[str], log: Path) -> tuple[float, float, int]:
    """Run one fresh process: (wall seconds, peak RSS in MiB, exit status)."""
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)   # so Popen does not wait again
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def fail(message: str, log: Path | None = None) -> None:
    """Stop the benchmark loudly, showing the child's output when there is one."""
    print(f"\nFAILED: {message}", file=sys.stderr)
    if log is not None and log.exists():
        print(log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
    sys.exit(1)


def measure(rubric: Path, responses: Path, out: Path, repeat: int) -> dict[str, list]:
    """Interleaved runs of the yardstick and the command: {name: [(seconds, MiB), ...]}."""
    commands = {"yardstick": [sys.executable, "-c", YARDSTICK_CODE, str(responses)],
                "command": [sys.executable, "run.py", "score", str(rubric), str(responses),
                            "--out", str(out)]}
    with responses.open("rb") as handle:                  # warm the page cache
        while handle.read(1 << 24):
            pass
    runs: dict[str, list] = {name: [] for name in commands}
    for n in range(1, repeat + 1):
        for name, argv in commands.items():
            if name == "command":
                out.unlink(missing_ok=True)          # never check a stale result
            log = out.with_name(f"{name}.log")
            seconds, mib, status = run_child(argv, log)
            if status != 0:
                fail(f"{name} exited with status {status}: {' '.join(argv)}", log)
            runs[name].append((seconds, mib))
            print(f"  run {n}/{repeat} {name:<9} {seconds:8.2f} s  {mib:9.1f} MiB", flush=True)
    return runs


def check_output(out: Path, expected_rows: int) -> dict:
    """Fail unless the result file ranks exactly ``expected_rows`` units."""
    try:
        result = json.loads(out.read_bytes())
    except (OSError, ValueError) as exc:
        fail(f"cannot read the command's output {out}: {exc}")
    rows = len(result.get("ranking", []))
    if rows != expected_rows:
        fail(f"the ranking has {rows:,} rows, expected {expected_rows:,}")
    categories = len({row["category"] for row in result["ranking"]})
    print(f"output check: {rows:,} ranking rows in {categories} categories, "
          f"{len(result.get('not_submitted', []))} not submitted, "
          f"{len(result.get('awards', {}))} awards -- OK")
    return {"rows": rows, "categories": categories}


# -- the report ------------------------------------------------------------------------------------
def summarise(runs: dict[str, list]) -> dict:
    """Medians, extremes and the command/yardstick ratios."""
    figures = {}
    for name, pairs in runs.items():
        times, rss = [t for t, _ in pairs], [m for _, m in pairs]
        figures[name] = {"time_median": statistics.median(times), "time_min": min(times),
                         "time_max": max(times), "rss_median": statistics.median(rss),
                         "rss_min": min(rss), "rss_max": max(rss)}
    paired = [c[0] / y[0] for y, c in zip(runs["yardstick"], runs["command"])]
    yard, cmd = figures["yardstick"], figures["command"]
    figures["ratio"] = {"time_median_of_pairs": statistics.median(paired),
                        "time_of_medians": cmd["time_median"] / yard["time_median"],
                        "rss_of_medians": cmd["rss_median"] / yard["rss_median"]}
    figures["target_met"] = figures["ratio"]["time_median_of_pairs"] <= TARGET_RATIO
    return figures


def print_table(figures: dict, repeat: int) -> None:
    """The summary table and the verdict on the 3x target."""
    print(f"\n{'':<10} {'time median':>12} {'min':>8} {'max':>8}   "
          f"{'peak RSS median':>16} {'min':>9} {'max':>9}")
    for name in ("yardstick", "command"):
        f = figures[name]
        print(f"{name:<10} {f['time_median']:10.2f} s {f['time_min']:8.2f} {f['time_max']:8.2f}   "
              f"{f['rss_median']:12.1f} MiB {f['rss_min']:9.1f} {f['rss_max']:9.1f}")
    r = figures["ratio"]
    print(f"\ncommand / yardstick ({repeat} interleaved pairs):")
    print(f"  time: median of per-pair ratios {r['time_median_of_pairs']:.2f}x, "
          f"ratio of medians {r['time_of_medians']:.2f}x")
    print(f"  peak RSS: ratio of medians {r['rss_of_medians']:.2f}x")
    verdict = "HOLDS" if figures["target_met"] else "DOES NOT HOLD"
    print(f"target 'the score command takes at most {TARGET_RATIO:g}x the time of loading its "
          f"input': {verdict} ({r['time_median_of_pairs']:.2f}x, median of per-pair ratios)")


def machine() -> dict:
    """What the figures were measured on."""
    return {"cpus": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform()}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out",
                        help="folder for the generated input and the output (default bench/out/)")
    parser.add_argument("--units", type=int, default=None,
                        help="use only the first N villages (default: all 83,762)")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of runs (default 3)")
    parser.add_argument("--regenerate", action="store_true",
                        help="rebuild the input even when it exists")
    parser.add_argument("--json", action="store_true",
                        help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    if args.repeat < 1 or (args.units is not None and args.units < 1):
        parser.error("--repeat and --units must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    info = machine()
    print(f"machine: {info['cpus']} CPUs ({info['cpus_usable']} usable), "
          f"{info['implementation']} {info['python']}, {info['platform']}")
    rubric, responses, units = prepare_input(args.workdir.resolve(), args.units, args.regenerate)
    out = responses.with_name(f"result-{units}.json")
    runs = measure(rubric, responses, out, args.repeat)
    checked = check_output(out, units)
    figures = summarise(runs)
    print_table(figures, args.repeat)
    if args.json:
        print(json.dumps({"units": units, "repeat": args.repeat, "machine": info,
                          "input_bytes": responses.stat().st_size, "output": checked, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
