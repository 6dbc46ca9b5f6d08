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
    # the regencies moved under new codes (their old codes ended): the four provinces are new
    assert len(new_units) - len(old_units) == len(NEW_PAPUA)
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


# -- the Papua regencies' former codes (ended units linked to their successors) ---------------

# old code -> successor: Permendagri 72/2019's Papua (91) and Papua Barat (92) codes of the
# regencies and cities moved into the four provinces formed in 2022
MOVED = {"93": ["91.01", "91.16", "91.17", "91.18"],
         "94": ["91.04", "91.07", "91.08", "91.09", "91.25", "91.26", "91.27", "91.28"],
         "95": ["91.02", "91.12", "91.13", "91.14", "91.21", "91.22", "91.23", "91.24"],
         "96": ["92.01", "92.04", "92.05", "92.09", "92.10", "92.71"]}
ENDED_ON = {"93": date(2022, 7, 25), "94": date(2022, 7, 25), "95": date(2022, 7, 25),
            "96": date(2022, 12, 8)}


def _opening(make_period, slug: str, day: date):
    """A period that opened on ``day`` (midday WIB)."""
    from datetime import datetime, timezone
    days = (datetime(day.year, day.month, day.day, 5, tzinfo=timezone.utc)
            - datetime.now(timezone.utc)).total_seconds() / 86400
    return make_period(slug=slug, opens=days, closes=days + 30)


def _by_province(codes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in codes:
        counts[code.split(".")[0]] = counts.get(code.split(".")[0], 0) + 1
    return counts


def test_the_old_papua_codes_are_ended_units_linked_to_their_successors(session):
    ended = session.query(WorkUnit).filter(WorkUnit.successor_code.isnot(None)).all()
    assert len(ended) == 26 == sum(map(len, MOVED.values()))
    for province, old_codes in MOVED.items():
        successors = sorted(u.code for u in session.query(WorkUnit).filter(
            WorkUnit.province_code == province))
        by_old = {u.code: u for u in ended if u.code in old_codes}
        assert sorted(u.successor_code for u in by_old.values()) == successors
        for unit in by_old.values():
            assert unit.exists_until == ENDED_ON[province] == unit.successor.exists_from
            assert unit.exists_from is None and unit.level == "kabkota"
            assert unit.province_code == unit.code[:2] and unit.name == unit.successor.name
            assert unit.existed_on(date(2022, 7, 24) if province != "96" else date(2022, 12, 7))
            assert not unit.existed_on(ENDED_ON[province])
    merauke, sorong = session.get(WorkUnit, "91.01"), session.get(WorkUnit, "92.71")
    assert (merauke.name, merauke.successor_code) == ("KPU Kabupaten Merauke", "93.01")
    assert (sorong.name, sorong.successor_code) == ("KPU Kota Sorong", "96.71")


def test_2021_counts_the_old_codes_2024_the_new_ones(session, make_period):
    """By hand (a period's default levels: KPU Provinsi and KPU Kab/Kota): 2021 had 34
    provinces and 514 kab/kota - Papua (91) 29 of them (the 9 that stayed and the 20 that
    moved in 2022), Papua Barat (92) 13 (7 and 6): 548. 2024: 38 provinces and 514 kab/kota -
    91: 9, 92: 7, 93: 4, 94: 8, 95: 8, 96: 6: 552. September 2022, Papua Barat Daya not yet
    formed: 37 provinces, 92 still 13: 551."""
    counts = {}
    for slug, day in (("p2021", date(2021, 3, 1)), ("p2022", date(2022, 9, 1)),
                      ("p2024", date(2024, 3, 1))):
        period = _opening(make_period, slug, day)
        codes = [u["code"] for u in export_exchange(session, period)["units"]]
        assert len(codes) == len(set(codes))
        assert sorted(u.code for u in participating_units(session, period)) == sorted(codes)
        counts[slug] = codes
    old, mid, new = counts["p2021"], counts["p2022"], counts["p2024"]
    levels = lambda codes: _by_province(c for c in codes if "." in c)  # noqa: E731
    assert len(old) == 548 and sum(1 for c in old if "." not in c) == 34
    assert levels(old)["91"] == 29 and levels(old)["92"] == 13
    assert not any(_papua(c) for c in old)
    assert set(sum(MOVED.values(), [])) <= set(old)
    assert len(new) == 552 and sum(1 for c in new if "." not in c) == 38
    assert {p: levels(new)[p] for p in ("91", "92", "93", "94", "95", "96")} == {
        "91": 9, "92": 7, "93": 4, "94": 8, "95": 8, "96": 6}
    assert not set(sum(MOVED.values(), [])) & set(new)
    assert len(mid) == 551 and levels(mid)["92"] == 13 and "96" not in mid and "93.01" in mid
    assert "91.01" not in mid and "92.01" in mid
    assert sum(1 for c in old if "." in c) == sum(1 for c in new if "." in c) == 514


def test_an_import_links_successors_and_refuses_unknown_ones(session):
    header = "code,name,level,province_code,time_zone,exists_until,successor_code\n"
    import_units(session, "pecah.csv", (header + "33.98,KPU Kabupaten Lama,kabkota,33,WIB,"
                                       "2026-01-01,33.99\n33.99,KPU Kabupaten Baru,kabkota,33,"
                                       "WIB,,\n").encode())
    old = session.get(WorkUnit, "33.98")
    assert (old.successor_code, old.exists_until, old.successor.name) == (
        "33.99", date(2026, 1, 1), "KPU Kabupaten Baru")
    for row, message in (("33.97,KPU X,kabkota,33,WIB,2026-01-01,77.77", "unknown unit '77.77'"),
                         ("33.97,KPU X,kabkota,33,WIB,,33.99", "give exists_until"),
                         ("33.97,KPU X,kabkota,33,WIB,2026-01-01,33.97", "cannot succeed itself")):
        try:
            import_units(session, "salah.csv", (header + row + "\n").encode())
        except RegistryError as exc:
            assert "successor_code" in str(exc) and message in str(exc)
        else:
            raise AssertionError(f"{row} was accepted")
    assert session.get(WorkUnit, "33.97") is None


def test_lists_of_todays_units_leave_the_ended_codes_out(session):
    """Dashboards, demo accounts and activation letters list units that exist today: 553."""
    from sqlalchemy import true
    from assessment.demo import demo_accounts
    from assessment.operations.monitor import active_units
    today = {u.code for u in active_units(session, true())}
    assert len(today) == 553 and "93.01" in today and "91.01" not in today
    operators = {a["unit_code"] for a in demo_accounts(session) if a["role"] == "operator"}
    assert "91.01" not in operators and "92.71" not in operators and "93.01" in operators
