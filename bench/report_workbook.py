#!/usr/bin/env python3
"""Benchmark: the ranking workbook (reports/workbook.py) against pandas ``DataFrame.to_excel``.

What it measures (medians of ``--repeat`` runs, interleaved so machine noise hits all alike)
    1. The national ranking table (553 units: KPU RI, 38 KPU Provinsi, 514 KPU Kabupaten/Kota;
       a 40-indicator rubric cut from the default edition; two judges) as a one-sheet
       workbook: our writer (``table_workbook``) against pandas ``DataFrame.to_excel`` of the
       same headers and rows. Target: ratio <= 1.0.
       The same table written with XlsxWriter (``constant_memory``), the candidate that
       needs no patching of openpyxl's output at all.
    2. The full 553-unit workbook (``ranking_workbook``: every sheet, charts, 22,120 indicator
       rows), as ``run.py score`` writes it, and once more with the "Ketahanan Peringkat"
       sheet (rank intervals passed in, computed once beforehand with 40 runs; the sheet's
       cost does not depend on the number of runs; its two rank-interval charts are native
       Excel charts). Target: within 5x the pandas time of (1). Against it, XlsxWriter
       (``constant_memory``) writing the same workbook's table sheets only (rankings,
       Rincian Indikator, Penghargaan, Rubrik, Metadata; no summary, charts or images): a
       lower bound of an XlsxWriter port.
    3. The national-scale workbook (``large_ranking_workbook``) for 10,000, 40,000 and 83,762
       units (villages of ../shared/data/wilayah, one category per province, 40 indicators,
       two judges). Every run is a fresh subprocess reporting its own peak RSS (VmHWM;
       ``os.wait4``'s ru_maxrss is recorded too, but on Linux it can include the parent's
       size at fork): "prepare" scores and pickles the Result (the memory of just scoring),
       "base" only imports, "load" unpickles the Result (its size: load - base), "write"
       unpickles, resets VmHWM through /proc/self/clear_refs and writes the workbook (the
       writer's own growth: peak while writing - RSS holding the Result). Target: the
       writer's growth rises no faster than the Result.

pandas is a benchmark-only dependency; its ``to_excel`` engine is reported (pandas picks
XlsxWriter when installed, else openpyxl) and both engines are timed. This prints figures and never asserts on time.

    python bench/report_workbook.py                     # everything, 3 runs each
    python bench/report_workbook.py --sizes 10000 --repeat 1
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import io
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rubrics import default_rubric_path, load_rubric  # noqa: E402
from scoring import Assessment, Unit, score  # noqa: E402
from scoring.robustness import rank_intervals  # noqa: E402
from scoring.synthetic import responses_for  # noqa: E402
from reports.workbook import (award_table, indicator_table, large_ranking_workbook,  # noqa: E402
                              ranking_columns, ranking_table, ranking_workbook, rubric_table,
                              table_workbook)

WILAYAH = Path("/work/shared/data/wilayah")
OUT = REPO / "bench" / "out"
INDICATORS = 40


def rubric_40():
    """The default edition cut to 40 scored indicators (the last scored one of each aspect
    dropped while more than 40 remain)."""
    rubric = load_rubric(default_rubric_path())
    aspects = list(rubric.aspects)
    excess = sum(len(a.scored_indicators) for a in aspects) - INDICATORS
    n = 0
    while excess > 0:
        a = aspects[n % len(aspects)]
        if len(a.scored_indicators) > 1:
            last = a.scored_indicators[-1]
            aspects[n % len(aspects)] = dataclasses.replace(
                a, indicators=tuple(i for i in a.indicators if i is not last))
            excess -= 1
        n += 1
    return dataclasses.replace(rubric, aspects=tuple(aspects))


def provinces() -> dict[str, str]:
    with open(WILAYAH / "provinces.csv", encoding="utf-8") as f:
        return {r["kode"]: r["nama"].strip() for r in csv.DictReader(f)}


def national_units() -> list[Unit]:
    names = provinces()
    units = [Unit("00", "KPU RI", "pusat")]
    units += [Unit(c, f"KPU Provinsi {n}", "provinsi", n) for c, n in names.items()]
    with open(WILAYAH / "regencies.csv", encoding="utf-8") as f:
        units += [Unit(r["kode"], f"KPU {r['nama'].strip()}", "kabkota", names[r["kode_provinsi"]])
                  for r in csv.DictReader(f)]
    return units


def village_units(limit: int) -> list[Unit]:
    names = provinces()
    units = []
    with open(WILAYAH / "villages.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if len(units) >= limit:
                break
            code = row["kode"]
            units.append(Unit(code, row["nama"], code[:2], names.get(code[:2], "")))
    return units


def scored(rubric, units, detail):
    responses = responses_for(rubric, units, judges=2)
    return score(rubric, Assessment(rubric.id, tuple(units), tuple(responses)), detail=detail)


CPU: dict[str, list[float]] = {}


def timed(fn, name: str = "") -> float:
    """Wall time of ``fn()``; its CPU time goes into ``CPU[name]`` (less disturbed by other
    processes on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    CPU.setdefault(name, []).append(time.process_time() - cpu)
    return time.perf_counter() - start


def pandas_table(headers, rows, engine=None) -> bytes:
    import pandas as pd
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=headers).to_excel(buf, sheet_name="Peringkat", index=False,
                                                 engine=engine)
    return buf.getvalue()


def pandas_engine() -> str:
    """The engine pandas ``to_excel`` uses for .xlsx here by default."""
    from pandas.io.excel._util import get_default_engine
    return get_default_engine("xlsx", mode="writer")


def xlsxwriter_book(tables) -> bytes:
    """``tables``: ``[(title, columns, rows)]`` written with XlsxWriter in constant_memory
    mode (rows flushed as written), text with ``write_string`` (never a formula), the same
    number formats, frozen header, filter and print titles as ours."""
    import tempfile
    import xlsxwriter
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "book.xlsx")
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tmp,
                                          "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
        formats = {"num": book.add_format({"num_format": "0.00"}),
                   "int": book.add_format({"num_format": "0", "align": "center"}),
                   "header": book.add_format({"bold": True, "font_color": "#FFFFFF",
                                              "bg_color": "#9B1C1C", "text_wrap": True})}
        for title, columns, rows in tables:
            sheet = book.add_worksheet(title[:31])
            styles = [formats.get(c.kind) for c in columns]
            for n, c in enumerate(columns):
                sheet.write_string(0, n, c.header, formats["header"])
            number, string = sheet.write_number, sheet.write_string
            count = 0
            for r, row in enumerate(rows, 1):
                count = r
                for n, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if type(value) is str:
                        string(r, n, value, styles[n])
                    else:
                        number(r, n, value, styles[n])
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, count, len(columns) - 1)
            sheet.repeat_rows(0)
            sheet.set_landscape()
            sheet.fit_to_pages(1, 0)
        book.close()
        with open(path, "rb") as f:
            return f.read()


def xlsxwriter_full_tables(result, rubric) -> bytes:
    """The full workbook's table sheets with XlsxWriter (a lower bound of a port)."""
    from reports.workbook import _category_groups, sheet_name
    tables = [(sheet_name(cat), *ranking_table(rows, rubric))
              for cat, rows in _category_groups(result).items()]
    tables += [("Rincian Indikator", *indicator_table(result, rubric)),
               ("Penghargaan", *award_table(result, rubric)), ("Rubrik", *rubric_table(rubric))]
    return xlsxwriter_book(tables)


def national(repeat: int) -> dict:
    rubric = rubric_40()
    units = national_units()
    assessment = Assessment(rubric.id, tuple(units), tuple(responses_for(rubric, units, judges=2)))
    result = score(rubric, assessment, detail=True)
    intervals = rank_intervals(rubric, assessment, runs=40)
    columns = ranking_columns(rubric)
    rows = list(ranking_table(result.ranking, rubric)[1])
    headers = [c.header for c in columns]
    runs = {"pandas": [], "pandas_openpyxl": [], "pandas_xlsxwriter": [], "ours_table": [],
            "xlsxwriter_table": [], "ours_full": [], "xlsxwriter_full_tables": [],
            "ours_robust": []}
    pandas_table(headers, rows)               # warm-up: imports pandas, fills caches
    table_workbook("Peringkat", columns, rows)
    xlsxwriter_book([("Peringkat", columns, rows)])
    ranking_workbook(result, rubric, intervals=intervals)     # warm-up: matplotlib fonts
    for _ in range(repeat):
        runs["pandas"].append(timed(lambda: pandas_table(headers, rows), "pandas"))
        for engine in ("openpyxl", "xlsxwriter"):
            runs[f"pandas_{engine}"].append(timed(lambda: pandas_table(headers, rows, engine),
                                                  f"pandas_{engine}"))
        runs["xlsxwriter_table"].append(timed(
            lambda: xlsxwriter_book([("Peringkat", columns, rows)]), "xlsxwriter_table"))
        runs["xlsxwriter_full_tables"].append(timed(
            lambda: xlsxwriter_full_tables(result, rubric), "xlsxwriter_full_tables"))
        runs["ours_table"].append(timed(lambda: table_workbook("Peringkat", columns, rows),
                                        "ours_table"))
        runs["ours_full"].append(timed(lambda: ranking_workbook(result, rubric), "ours_full"))
        runs["ours_robust"].append(timed(lambda: ranking_workbook(result, rubric,
                                                                  intervals=intervals),
                                         "ours_robust"))
    med = {k: statistics.median(v) for k, v in runs.items()}
    cpu = {k: statistics.median(CPU[k][-repeat:]) for k in runs}
    return {"units": len(result.ranking), "indicators": INDICATORS, "cells_table": len(rows) * len(columns),
            "median_s": med, "runs_s": runs, "pandas_engine": pandas_engine(),
            "table_ratio": med["ours_table"] / med["pandas"],
            "full_ratio": med["ours_full"] / med["pandas"],
            "robust_ratio": med["ours_robust"] / med["pandas"],
            "cpu_median_s": cpu, "cpu_ratios": {k: cpu[k] / cpu["pandas"] for k in runs}}


def child(mode: str, path: str) -> None:
    """Run in a fresh process: prepare (score and pickle), base (imports only), load
    (unpickle the Result), write (unpickle + write the workbook). Prints its figures."""
    info = {}
    if mode == "prepare":
        size = int(path.rsplit("-", 1)[1].split(".")[0])
        rubric = rubric_40()
        start = time.perf_counter()
        result = scored(rubric, village_units(size), detail=False)
        info["score_s"] = time.perf_counter() - start
        with open(path, "wb") as f:
            pickle.dump((rubric, result), f, protocol=pickle.HIGHEST_PROTOCOL)
    elif mode in ("load", "write"):
        with open(path, "rb") as f:
            rubric, result = pickle.load(f)
        if mode == "write":
            gc.collect()
            info["rss_before_write"] = status_kb("VmRSS")
            reset_peak()
            start = time.perf_counter()
            info["bytes"] = len(large_ranking_workbook(result, rubric))
            info["write_s"] = time.perf_counter() - start
            info["write_growth"] = status_kb("VmHWM") - info["rss_before_write"]
    info["vmhwm"] = peak_rss()
    print(json.dumps(info))


def peak_rss() -> int:
    """This process's own peak RSS in bytes (VmHWM; unlike ru_maxrss, never the parent's)."""
    return status_kb("VmHWM")


def status_kb(key: str) -> int:
    """A /proc/self/status figure (given in kB) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux clear_refs 5), so the peak is the writer's own."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def run_child(mode: str, path: Path) -> tuple[float, int, dict]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(path)],
                            stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, f"child {mode} failed"
    info = json.loads(out)
    info["ru_maxrss"] = usage.ru_maxrss * 1024
    return time.perf_counter() - start, info["vmhwm"], info


def large(sizes, repeat: int) -> list[dict]:
    OUT.mkdir(exist_ok=True)
    out = []
    for size in sizes:
        path = OUT / f"workbook-result-{size}.pickle"
        _, prepare_peak, prepared = run_child("prepare", path)
        score_s = prepared["score_s"]
        peaks = {"base": [], "load": [], "write": []}
        write_s, growth, size_bytes = [], [], 0
        for _ in range(repeat):
            for mode in peaks:
                _, peak, info = run_child(mode, path)
                peaks[mode].append(peak)
                if mode == "write":
                    write_s.append(info["write_s"])
                    growth.append(info["write_growth"])
                    size_bytes = info["bytes"]
        med = {k: statistics.median(v) for k, v in peaks.items()}
        out.append({"units": size, "score_s_once": score_s, "write_s": statistics.median(write_s),
                    "write_runs_s": write_s, "xlsx_bytes": size_bytes,
                    "peak_mb": {k: v / 2**20 for k, v in med.items()},
                    "scoring_peak_mb": prepare_peak / 2**20,
                    "result_mb": (med["load"] - med["base"]) / 2**20,
                    "write_peak_minus_load_peak_mb": (med["write"] - med["load"]) / 2**20,
                    "writer_growth_mb": statistics.median(growth) / 2**20})
        path.unlink()
        print(f"  {size:>6} units: write {out[-1]['write_s']:.1f} s, Result {out[-1]['result_mb']:.1f} MB,"
              f" writer growth {out[-1]['writer_growth_mb']:.1f} MB", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x],
                        default=[10_000, 40_000, 83_762])
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PICKLE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    report = {}
    if args.sizes:       # first, while this process is small (children start from a fork)
        print(f"large write-only workbook, medians of {args.repeat} fresh processes per size:", flush=True)
        report["large"] = large(args.sizes, args.repeat)
    if not args.skip_national:
        report["national"] = nat = national(args.repeat)
        m = nat["median_s"]
        print(f"national table, {nat['units']} units x {len(ranking_columns(rubric_40()))} columns "
              f"({nat['indicators']} indicators, 2 judges), medians of {args.repeat}:")
        p = m["pandas"]
        print(f"  pandas to_excel ({nat['pandas_engine']}) {p:.3f} s  "
              f"(openpyxl engine {m['pandas_openpyxl']:.3f} s, xlsxwriter engine "
              f"{m['pandas_xlsxwriter']:.3f} s)")
        print(f"  our table_workbook    {m['ours_table']:.3f} s   ratio {nat['table_ratio']:.2f} (target <= 1.0)")
        print(f"  XlsxWriter table      {m['xlsxwriter_table']:.3f} s   ratio {m['xlsxwriter_table'] / p:.2f}")
        print(f"  our full workbook     {m['ours_full']:.3f} s   {nat['full_ratio']:.1f}x pandas (target <= 5)")
        print(f"  XlsxWriter tables of the full workbook (no summary/charts) "
              f"{m['xlsxwriter_full_tables']:.3f} s   {m['xlsxwriter_full_tables'] / p:.1f}x pandas")
        print(f"  + Ketahanan Peringkat {m['ours_robust']:.3f} s   {nat['robust_ratio']:.1f}x pandas")
        print("  CPU-time ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in nat["cpu_ratios"].items()),
              flush=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
