"""A registry with history (issue 14): units exist from a date and may end, keep their former
names, and a period counts only the units that existed when it opened - in the exchange
document (rankings, not_submitted), progress and the workbook. Imports take the dates."""
from __future__ import annotations

import json
from datetime import date

from assessment.models import Period, WorkUnit
from assessment.operations.runs import export_exchange, published_run, run_result
from assessment.progress import participating_units
from assessment.registry import RegistryError, import_units

NEW_PAPUA = ("93", "94", "95", "96")


def _papua(code: str) -> bool:
    return code.split(".")[0] in NEW_PAPUA


def test_the_shipped_registry_dates_papua_and_renames_jakarta(session):
    assert session.get(WorkUnit, "93").exists_from == date(2022, 7, 25)
    assert session.get(WorkUnit, "96.01").exists_from == date(2022, 12, 8)
    assert session.get(WorkUnit, "91").exists_from is None
    jakarta = session.get(WorkUnit, "31")
    assert jakarta.name == "KPU Provinsi Daerah Khusus Jakarta"
    assert jakarta.name_on(date(2021, 3, 1)) == "KPU Provinsi Daerah Khusus Ibukota Jakarta"
    assert session.get(WorkUnit, "31.71").province_name_on(date(2024, 4, 25)) == jakarta.name


def test_a_period_counts_the_units_that_existed_when_it_opened(session, make_period):
    old = make_period(slug="lama", opens=-365 * 6, closes=-365 * 6 + 30)     # about 2020
    new = make_period(slug="baru", opens=-1, closes=7)
    old_units = [u["code"] for u in export_exchange(session, old)["units"]]
    new_units = [u["code"] for u in export_exchange(session, new)["units"]]
    assert not any(_papua(code) for code in old_units)
    assert {"93", "94", "95", "96", "93.01"} <= set(new_units)
    assert len(new_units) - len(old_units) == sum(1 for c in new_units if _papua(c))
    assert not any(_papua(u.code) for u in participating_units(session, old))
    names = {u["code"]: u["name"] for u in export_exchange(session, old)["units"]}
    assert names["31"] == "KPU Provinsi Daerah Khusus Ibukota Jakarta"


def test_the_2021_demo_does_not_list_the_2022_provinces(demo, session):
    period = session.query(Period).filter_by(slug="bakohumas-2021").one()
    assert period.opens_at.year == 2021 and period.rubric_id == "bakohumas-2021"
    result = run_result(published_run(session, period))
    listed = set(result["not_submitted"]) | {r["unit"] for r in result["ranking"]}
    assert listed and not any(_papua(code) for code in listed)
    exchange = json.loads(published_run(session, period).exchange)
    assert not any(_papua(u["code"]) for u in exchange["units"])
    later = session.query(Period).filter_by(slug="bakohumas-2024").one()
    assert later.rubric_id == "bakohumas-2024"
    assert any(_papua(u["code"]) for u in json.loads(published_run(session, later).exchange)["units"])


def test_imports_take_the_dates_and_keep_them_when_a_file_has_none(session):
    data = ("code,name,level,province_code,time_zone,exists_from,exists_until,former_name,renamed_on\n"
            "99,KPU Provinsi Uji,provinsi,,WIT,2025-01-02,2030-12-31,KPU Provinsi Lama,2026-01-01\n")
    import_units(session, "uji.csv", data.encode())
    unit = session.get(WorkUnit, "99")
    assert (unit.exists_from, unit.exists_until) == (date(2025, 1, 2), date(2030, 12, 31))
    assert unit.name_on(date(2025, 6, 1)) == "KPU Provinsi Lama"
    import_units(session, "tanpa-tanggal.csv",
                 b"code,name,level,province_code,time_zone\n99,KPU Provinsi Uji,provinsi,,WIT\n")
    assert session.get(WorkUnit, "99").exists_from == date(2025, 1, 2)
    try:
        import_units(session, "salah.csv", data.replace("2025-01-02", "2 Jan 2025").encode())
    except RegistryError as exc:
        assert "exists_from" in str(exc) and "YYYY-MM-DD" in str(exc)
    else:
        raise AssertionError("a wrong date was accepted")
