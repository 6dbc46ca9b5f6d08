"""``python run.py score`` and ``python run.py rubric check``: outputs, and bad input refused cleanly."""
from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import run

REPO = Path(__file__).resolve().parents[1]

RUBRIC = """\
id: bakohumas-2025
title: Penilaian Tata Kelola Bakohumas KPU Tahun 2025
aggregate: mean
predicates:
  - {min: 90, label: Sangat Baik}
  - {min: 75, label: Baik}
  - {min: 60, label: Cukup}
  - {min: 0,  label: Kurang}
tie_break: [kelembagaan]
stages:
  - {id: verifikasi, weight: 70}
  - {id: presentasi, weight: 30, shortlist: 10, pass_mark: 60}
awards:
  - {id: medsos-provinsi, title: Media Sosial KPU Provinsi Terbaik, category: provinsi, aspects: [kelembagaan], winners: 3}
aspects:
  - id: kelembagaan
    title: Kelembagaan dan SOP
    weight: 15
    indicators:
      - {id: sk-tim, type: yesno, weight: 1, question: "Ada SK tim?", evidence: required}
      - {id: sop, type: scale, weight: 2, question: "Status SOP?", levels: ["Tidak ada", "Draf", "Ditetapkan", "Ditetapkan dan disosialisasikan", "Dievaluasi berkala"]}
      - {id: unggahan, type: number, weight: 2, question: "Unggahan per minggu?", unit: unggahan per minggu, bands: [[0, 0], [1, 0.5], [3, 0.75], [7, 1]]}
      - {id: kanal, type: choice, weight: 1, question: "Kanal?", options: [website, instagram, x, facebook, youtube, tiktok], full_at: 4}
      - {id: praktik-baik, type: text, question: "Praktik baik?"}
"""

SECOND_ASPECT = """\
  - id: publikasi
    title: Publikasi
    weight: 5
    indicators:
      - {id: siaran-pers, type: yesno, question: "Ada siaran pers?"}
"""

HYPERLINK = '=HYPERLINK("http://contoh.test","klik")'


def responses() -> dict:
    """A fresh exchange document: unit 33 is the hand-computed case, 09 did not submit."""
    return {
        "rubric": "bakohumas-2025",
        "units": [{"code": "33", "name": "KPU Provinsi Jawa Tengah", "category": "provinsi"},
                  {"code": "01", "name": "=1+1", "category": "kabkota"},
                  {"code": "02", "name": HYPERLINK, "category": "kabkota"},
                  {"code": "09", "name": "KPU Kabupaten Belum Kirim", "category": "kabkota"}],
        "responses": [
            {"unit": "33",
             "self": {"sk-tim": True, "sop": 3, "unggahan": 5, "kanal": ["website", "instagram"],
                      "praktik-baik": "..."},
             "judges": {"penilai-01": {"sk-tim": True, "sop": 2}, "penilai-02": {"sop": 3}},
             "moderated": {"unggahan": 4},
             "stages": {"presentasi": {"penilai-01": 88.5, "penilai-02": 90}}},
            {"unit": "01", "self": {"sk-tim": True}},
            {"unit": "02", "self": {"sk-tim": False, "sop": 4}},
        ],
    }


@pytest.fixture
def files(tmp_path):
    """Write the rubric and a responses document; returns (rubric path, responses path, writer)."""
    rubric, resp = tmp_path / "rubrik.yaml", tmp_path / "jawaban.json"
    rubric.write_text(RUBRIC, encoding="utf-8")

    def write(doc=None, raw: str | None = None):
        resp.write_text(raw if raw is not None else json.dumps(doc if doc is not None else responses()),
                        encoding="utf-8")
        return resp

    write()
    return rubric, resp, write


def score(capsys, rubric, resp, out) -> tuple[int, str, str]:
    status = run.main(["score", str(rubric), str(resp), "--out", str(out)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- valid scoring ------------------------------------------------------------------------------

# Unit 33 by hand (one aspect, weights sk-tim 1, sop 2, unggahan 2, kanal 1; sum 6):
#   self:     sk-tim 1, sop 3/4, unggahan 5 -> band 3 = 0.75, kanal 2/4 -> 100 * 4.5 / 6  = 75.00
#   verified: sk-tim judge 1, sop mean(2/4, 3/4) = 0.625, unggahan moderated 4 -> 0.75,
#             kanal no judge -> self 0.5                 -> 100 * 4.25 / 6 = 70.833.. = 70.83
#   presentasi mean(88.5, 90) = 89.25; 70.83 >= pass mark 60 and rank 1 <= shortlist 10
#   total (70 * 425/6 + 30 * 89.25) / 100 = 76.358.. = 76.36 -> "Baik"
# Unit 01: verified sk-tim only -> 100 * 1 / 6 = 16.67; unit 02: sop 4/4 * 2 -> 100 * 2 / 6 = 33.33;
# both below the pass mark, so they stay at verifikasi.
ROW_33 = {"category": "provinsi", "rank": 1, "unit": "33", "name": "KPU Provinsi Jawa Tengah",
          "total": 76.36, "self_total": 75.0, "predicate": "Baik", "stage_reached": "presentasi",
          "stages": {"verifikasi": 70.83, "presentasi": 89.25}, "aspects": {"kelembagaan": 70.83}}


def test_score_to_json(files, tmp_path, capsys):
    rubric, resp, _ = files
    out = tmp_path / "hasil.json"
    status, stdout, stderr = score(capsys, rubric, resp, out)
    assert (status, stderr) == (0, "")
    assert "3 units ranked in 2 categories, 1 not submitted" in stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result) == {"rubric", "ranking", "awards", "not_submitted"}
    assert result["rubric"] == "bakohumas-2025"
    assert result["ranking"][0] == ROW_33
    assert [(r["category"], r["rank"], r["unit"], r["total"], r["stage_reached"], r["predicate"])
            for r in result["ranking"][1:]] == [("kabkota", 1, "02", 33.33, "verifikasi", "Kurang"),
                                                ("kabkota", 2, "01", 16.67, "verifikasi", "Kurang")]
    assert all(set(r) == set(ROW_33) for r in result["ranking"])
    assert result["ranking"][1]["stages"] == {"verifikasi": 33.33}
    assert result["awards"] == {"medsos-provinsi": [
        {"rank": 1, "unit": "33", "name": "KPU Provinsi Jawa Tengah", "score": 70.83, "winner": True}]}
    assert result["not_submitted"] == ["09"]


def test_score_to_csv(files, tmp_path, capsys):
    rubric, resp, _ = files
    out = tmp_path / "hasil.csv"
    assert score(capsys, rubric, resp, out)[0] == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["category", "rank", "unit", "name", "total", "self_total", "predicate",
                       "stage_reached", "stage:verifikasi", "stage:presentasi", "aspect:kelembagaan"]
    assert rows[1] == ["provinsi", "1", "33", "KPU Provinsi Jawa Tengah", "76.36", "75.00", "Baik",
                       "presentasi", "70.83", "89.25", "70.83"]
    by_unit = {row[2]: row for row in rows[1:]}
    assert by_unit["02"][3] == "'" + HYPERLINK
    assert by_unit["01"][3] == "'=1+1"
    assert by_unit["01"][9] == ""          # stage not reached: empty cell
    assert len(rows) == 4


def test_score_to_xlsx(files, tmp_path, capsys):
    rubric, resp, _ = files
    out = tmp_path / "hasil.xlsx"
    assert score(capsys, rubric, resp, out)[0] == 0
    book = load_workbook(out)
    assert {"Peringkat Provinsi", "Peringkat Kabupaten-Kota", "Rincian Indikator"} <= set(book.sheetnames)
    rows = {}
    for name in ("Peringkat Provinsi", "Peringkat Kabupaten-Kota"):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        col = {title: n for n, title in enumerate(header)}
        rows.update({row[col["Kode"]].value: row for row in sheet.iter_rows(min_row=2)})
    assert set(rows) == {"33", "01", "02"}
    row33 = rows["33"]
    assert row33[col["Nilai Total"]].value == 76.36 and row33[col["Nilai Total"]].data_type == "n"
    assert row33[col["Peringkat"]].value == 1
    assert row33[col["Kelembagaan dan SOP"]].value == 70.83
    code = rows["01"][col["Kode"]]
    assert (code.value, code.data_type) == ("01", "s")
    for unit, name in (("01", "=1+1"), ("02", HYPERLINK)):
        cell = rows[unit][col["Satuan Kerja"]]
        assert (cell.value, cell.data_type) == (name, "s")
    meta = dict(book["Metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["SHA-256 data masukan"] == hashlib.sha256(resp.read_bytes()).hexdigest()


def test_score_from_the_command_line(files, tmp_path):
    rubric, resp, _ = files
    out = tmp_path / "hasil.json"
    done = subprocess.run([sys.executable, "run.py", "score", str(rubric), str(resp), "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["ranking"][0] == ROW_33


def test_bad_input_from_the_command_line(files, tmp_path):
    rubric, resp, write = files
    write(raw="{")
    out = tmp_path / "hasil.json"
    done = subprocess.run([sys.executable, "run.py", "score", str(rubric), str(resp), "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"{resp}: line 1, column 2: malformed JSON" in done.stderr
    assert not out.exists()


# -- bad input ----------------------------------------------------------------------------------

def changed(path: str, value):
    """responses() with the value at a path of keys/indexes replaced (None deletes the key)."""
    def make():
        doc = copy.deepcopy(responses())
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
        return doc
    return make


SELF = ("responses", 0, "self")
STAGE = ("responses", 0, "stages")

# (id, document maker, expected place, a word of the message)
BAD_RESPONSES = [
    ("rubric-mismatch", changed(("rubric",), "bakohumas-2024"), "rubric", "bakohumas-2024"),
    ("unknown-unit", changed(("responses", 1, "unit"), "99"), "responses[1].unit", "unknown unit code"),
    ("unknown-indicator", changed(SELF + ("sk-timm",), True), "responses[0].self.sk-timm",
     "unknown indicator id"),
    ("unknown-indicator-judge", changed(("responses", 0, "judges", "penilai-01", "tidak-ada"), 1),
     "responses[0].judges.penilai-01.tidak-ada", "unknown indicator id"),
    ("yesno-given-1", changed(SELF + ("sk-tim",), 1), "responses[0].self.sk-tim", "true or false"),
    ("scale-above-top", changed(SELF + ("sop",), 5), "responses[0].self.sop", "from 0 to 4"),
    ("scale-negative", changed(SELF + ("sop",), -1), "responses[0].self.sop", "from 0 to 4"),
    ("scale-given-float", changed(SELF + ("sop",), 2.5), "responses[0].self.sop", "from 0 to 4"),
    ("number-negative", changed(SELF + ("unggahan",), -3), "responses[0].self.unggahan", "negative"),
    ("number-given-text", changed(SELF + ("unggahan",), "5"), "responses[0].self.unggahan", "number"),
    ("choice-unknown-option", changed(SELF + ("kanal",), ["website", "threads"]),
     "responses[0].self.kanal", "not one of"),
    ("choice-given-text", changed(SELF + ("kanal",), "website"), "responses[0].self.kanal", "list of options"),
    ("moderated-wrong-type", changed(("responses", 0, "moderated", "unggahan"), True),
     "responses[0].moderated.unggahan", "number"),
    ("stage-score-101", changed(STAGE + ("presentasi", "penilai-01"), 101),
     "responses[0].stages.presentasi.penilai-01", "from 0 to 100"),
    ("stage-score-negative", changed(STAGE + ("presentasi", "penilai-02"), -1),
     "responses[0].stages.presentasi.penilai-02", "from 0 to 100"),
    ("stage-first", changed(STAGE, {"verifikasi": {"penilai-01": 80}}), "responses[0].stages.verifikasi",
     "first stage"),
    ("stage-unknown", changed(STAGE, {"wawancara": {"penilai-01": 80}}), "responses[0].stages.wawancara",
     "unknown stage id"),
    ("duplicate-response", changed(("responses", 2, "unit"), "01"), "responses[2].unit", "second response"),
    ("unknown-response-key", changed(("responses", 1, "judge"), {}), "responses[1].judge", "unknown key"),
    ("unknown-unit-key", changed(("units", 0, "kode"), "33"), "units[0].kode", "unknown key"),
    ("unknown-top-level-key", changed(("catatan",), "x"), "catatan", "unknown key"),
    ("rubric-missing", changed(("rubric",), None), "rubric", "non-empty text"),
    ("units-not-a-list", changed(("units",), {"33": "Jawa Tengah"}), "units", "list of units"),
    ("duplicate-unit", changed(("units", 3, "code"), "33"), "units[3].code", "duplicate unit code"),
]


def run_refused(capsys, rubric, resp, out) -> str:
    """Score into ``out`` expecting exit status 2; the output and its folder stay unchanged."""
    before = sorted(p.name for p in out.parent.iterdir())
    old = out.read_bytes() if out.exists() else None
    status, stdout, stderr = score(capsys, rubric, resp, out)
    assert status == 2
    assert stdout == ""
    assert (out.read_bytes() if out.exists() else None) == old
    assert sorted(p.name for p in out.parent.iterdir()) == before   # no temporary file left
    return stderr


@pytest.fixture(params=[False, True], ids=["no-output", "existing-output"])
def out(request, tmp_path):
    path = tmp_path / "hasil.json"
    if request.param:
        path.write_bytes(b'{"hasil": "lama"}\n')
    return path


@pytest.mark.parametrize("make, place, word", [row[1:] for row in BAD_RESPONSES],
                         ids=[row[0] for row in BAD_RESPONSES])
def test_bad_responses_are_refused(files, out, capsys, make, place, word):
    rubric, resp, write = files
    write(make())
    stderr = run_refused(capsys, rubric, resp, out)
    assert stderr.startswith(f"error: {resp}: {place}: ")
    assert word in stderr


@pytest.mark.parametrize("raw, expected", [
    ('{"rubric": "bakohumas-2025",\n "units": [}', ": line 2, column 12: malformed JSON"),
    ("", ": line 1, column 1: malformed JSON"),
    ('[{"unit": "33"}]', ": the file must hold a JSON object"),
    ('"bakohumas-2025"', ": the file must hold a JSON object"),
], ids=["malformed", "empty", "top-level-list", "top-level-string"])
def test_unreadable_responses_are_refused(files, out, capsys, raw, expected):
    rubric, resp, write = files
    write(raw=raw)
    assert f"error: {resp}{expected}" in run_refused(capsys, rubric, resp, out)


def test_invalid_rubric_is_refused(files, out, capsys):
    rubric, resp, _ = files
    rubric.write_text(RUBRIC.replace("weight: 15", "weight: 0"), encoding="utf-8")
    stderr = run_refused(capsys, rubric, resp, out)
    assert f"{rubric}: aspects[0].weight: must be a positive number" in stderr


@pytest.mark.parametrize("missing", ["rubric", "responses"])
def test_missing_input_file_is_refused(files, out, capsys, missing):
    rubric, resp, _ = files
    gone = {"rubric": rubric, "responses": resp}[missing]
    gone.unlink()
    stderr = run_refused(capsys, rubric, resp, out)
    assert f"{gone}: cannot be read" in stderr


@pytest.mark.parametrize("name, word", [("hasil.txt", "unknown output format '.txt'"),
                                        ("hasil", "unknown output format '(none)'")],
                         ids=["txt", "no-extension"])
def test_unknown_output_extension_is_refused(files, tmp_path, capsys, name, word):
    rubric, resp, _ = files
    out = tmp_path / name
    stderr = run_refused(capsys, rubric, resp, out)
    assert f"{out}: {word}" in stderr


def test_missing_output_folder_is_refused(files, tmp_path, capsys):
    rubric, resp, _ = files
    out = tmp_path / "tidak-ada" / "hasil.json"
    status, _, stderr = score(capsys, rubric, resp, out)
    assert status == 2 and "does not exist" in stderr
    assert not out.parent.exists()


# -- rubric check --------------------------------------------------------------------------------

def test_rubric_check_prints_aspects_and_weights(tmp_path, capsys):
    path = tmp_path / "rubrik.yaml"
    path.write_text(RUBRIC + SECOND_ASPECT, encoding="utf-8")
    assert run.main(["rubric", "check", str(path)]) == 0
    stdout = capsys.readouterr().out
    lines = [line.split() for line in stdout.splitlines()]
    assert ["kelembagaan", "75.00%", "Kelembagaan", "dan", "SOP"] in lines   # 15 of 20
    assert ["publikasi", "25.00%", "Publikasi"] in lines                     # 5 of 20
    assert ["sk-tim", "12.50%", "yesno", "evidence:required"] in lines       # 75% * 1/6
    assert ["sop", "25.00%", "scale", "evidence:optional"] in lines          # 75% * 2/6
    assert ["praktik-baik", "-", "text", "evidence:none"] in lines
    assert "2 aspects, 5 scored indicators, 6 in all; aggregate mean" in stdout


def test_rubric_check_refuses_an_invalid_rubric(tmp_path, capsys):
    path = tmp_path / "rubrik.yaml"
    path.write_text(RUBRIC.replace("full_at: 4", "full_at: 7"), encoding="utf-8")
    assert run.main(["rubric", "check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}: aspects[0].indicators[3].full_at: must be a whole number from 1 to 6" in captured.err


def test_rubric_check_from_the_command_line(tmp_path):
    path = tmp_path / "rubrik.yaml"
    path.write_text(RUBRIC, encoding="utf-8")
    done = subprocess.run([sys.executable, "run.py", "rubric", "check", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "kelembagaan" in done.stdout and "100.00%" in done.stdout
