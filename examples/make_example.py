"""Write examples/contoh-2025.json: a synthetic season for the 38 KPU Provinsi and 514
KPU/KIP Kabupaten/Kota, from the real region list (MIT, see examples/LICENSE-wilayah.txt)."""
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rubrics import load_rubric  # noqa: E402
from rubrics.loader import EDITIONS_DIR  # noqa: E402
from scoring import Assessment, Unit, assessment_to_dict  # noqa: E402
from scoring.synthetic import responses_for  # noqa: E402


def units(wilayah: Path) -> list[Unit]:
    provinces = {r["kode"]: r["nama"].strip() for r in csv.DictReader(open(wilayah / "provinces.csv"))}
    out = [Unit("00", "KPU RI", "pusat")]
    out += [Unit(code, "KIP Aceh" if code == "11" else f"KPU Provinsi {name}", "provinsi", name)
           for code, name in provinces.items()]
    for row in csv.DictReader(open(wilayah / "regencies.csv")):
        body = "KIP" if row["kode_provinsi"] == "11" else "KPU"
        out.append(Unit(row["kode"], f"{body} {row['nama'].strip()}", "kabkota",
                        provinces[row["kode_provinsi"]]))
    return out


def main():
    wilayah = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared/data/wilayah"
    # the example stays on the 2025 edition its file is named after (README's score example)
    rubric = load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml")
    all_units = units(wilayah)
    # about one unit in twelve has not submitted, as in a real season
    submitted = [u for n, u in enumerate(all_units) if n % 12 != 5]
    doc = assessment_to_dict(Assessment(rubric.id, tuple(all_units),
                                        tuple(responses_for(rubric, submitted))))
    (HERE / "contoh-2025.json").write_text(json.dumps(doc, ensure_ascii=False, indent=None))


if __name__ == "__main__":
    main()
