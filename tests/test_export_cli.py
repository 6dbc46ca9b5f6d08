"""``python run.py export PERIOD``: the exchange document at any time, the ranking workbook
of the latest final run (or of the current data, with a note), scorecards with a progress
bar; clear refusals with exit status 2."""
from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

import run
from assessment.extensions import db
from assessment.operations.runs import create_run, dumps, export_exchange
from tests.results_support import PROVINCES, REGENCIES, build_season

SLUG = "bakohumas-2025"




@pytest.fixture
def period(session, make_period):
    period = make_period(slug=SLUG)
    build_season(session, period)
    return period


def metadata(path) -> dict:
    book = load_workbook(path, read_only=True)
    return {row[0]: row[1] for row in book["Metadata"].iter_rows(values_only=True)}


def test_exchange_is_written_at_any_time(cli, session, period, tmp_path):
    target = tmp_path / "masukan.json"
    code, out, err = cli("export", SLUG, "--exchange", target)
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == dumps(export_exchange(session, period))
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert {r["unit"] for r in doc["responses"]} == set(PROVINCES + REGENCIES)
    assert "sha256" in out


def test_workbook_of_current_data_carries_a_note_then_of_the_final_run(
        cli, session, period, tmp_path):
    target = tmp_path / "peringkat.xlsx"
    code, out, err = cli("export", SLUG, "--out", target)
    assert code == 0, err
    assert "no final run" in err
    assert "belum final" in metadata(target)["Periode"]
    run_ = create_run(session, period, "final", None)
    session.commit()
    code, out, err = cli("export", SLUG, "--out", target)
    assert code == 0, err
    assert "using final run 1" in out
    meta = metadata(target)
    assert "penghitungan ke-1 (final)" in meta["Periode"]
    assert meta["SHA-256 data masukan"] == run_.exchange_sha256
    assert meta["SHA-256 rubrik"] == run_.rubric_sha256
    assert not list(tmp_path.glob(".peringkat.xlsx.*"))        # no temporary file left


def test_scorecards_one_pdf_per_ranked_unit_with_progress(cli, session, period, tmp_path):
    create_run(session, period, "final", None)
    session.commit()
    folder = tmp_path / "kartu"
    code, out, err = cli("export", SLUG, "--scorecards", folder)
    assert code == 0, err
    pdfs = sorted(folder.glob("*.pdf"))
    ranked = len(PROVINCES + REGENCIES)
    assert len(pdfs) == ranked and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    # not a terminal: one line at every tenth of the way, the last one at 100%
    lines = [line for line in err.splitlines() if line.startswith("scorecards: ")]
    assert lines[-1] == f"scorecards: {ranked}/{ranked} (100%)" and 5 <= len(lines) <= 10
    assert f"{ranked} scorecards written" in out
    assert any(p.name.startswith("33.74-kpu-kota-semarang") for p in pdfs)


def test_workbook_with_rank_robustness_of_the_final_run_and_of_current_data(
        cli, session, period, tmp_path):
    from assessment.operations.runs import run_rubric
    from scoring import assessment_from_dict
    from scoring.robustness import rank_intervals
    target = tmp_path / "ketahanan.xlsx"
    code, out, err = cli("export", SLUG, "--out", target, "--robustness", "--runs", 15)
    assert code == 0, err
    assert "no final run" in err and "about 30 s for 553 units x 200 runs" in err
    assert "belum final" in metadata(target)["Periode"]
    run_ = create_run(session, period, "final", None)
    session.commit()
    code, out, err = cli("export", SLUG, "--out", target, "--robustness", "--runs", 15)
    assert code == 0, err
    assert "15 seeded runs over 13 units" in err
    book = load_workbook(target)
    expected = rank_intervals(run_rubric(run_), assessment_from_dict(json.loads(run_.exchange)),
                              runs=15)
    rows = list(book["Ketahanan Peringkat"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[5], r[6]) for r in rows] == [(u["code"], u["p5"], u["p95"])
                                                  for u in expected["units"]]
    meta = metadata(target)
    assert meta["Ketahanan peringkat"].startswith("15 ulangan (seed 2025)")
    assert "penghitungan ke-1 (final)" in meta["Periode"]
    # seeded: the same run gives the same sheet
    first = rows
    assert cli("export", SLUG, "--out", target, "--robustness", "--runs", 15)[0] == 0
    again = list(load_workbook(target)["Ketahanan Peringkat"].iter_rows(min_row=2,
                                                                        values_only=True))
    assert again == first
    # without --robustness the workbook has no such sheet
    assert cli("export", SLUG, "--out", target)[0] == 0
    assert "Ketahanan Peringkat" not in load_workbook(target).sheetnames


@pytest.mark.parametrize("args, message", [
    ([SLUG, "--exchange", "{tmp}/x.json", "--robustness"], "give --out FILE.xlsx"),
    ([SLUG, "--out", "{tmp}/x.xlsx", "--robustness", "--runs", "0"], "at least 1"),
    (["tidak-ada", "--exchange", "{tmp}/x.json"], "unknown period 'tidak-ada'"),
    ([SLUG], "nothing to export"),
    ([SLUG, "--out", "{tmp}/x.csv"], "must end in .xlsx"),
    ([SLUG, "--exchange", "{tmp}/tidak/ada/x.json"], "does not exist"),
])
def test_refusals_exit_2_and_write_nothing(cli, period, tmp_path, args, message):
    folder = tmp_path / "keluaran"
    folder.mkdir()
    code, out, err = cli("export", *[a.format(tmp=folder) for a in args])
    assert code == 2
    assert message in err
    assert list(folder.iterdir()) == []
