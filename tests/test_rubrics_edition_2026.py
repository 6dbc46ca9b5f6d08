"""The 2026 default edition: it loads, applies the review's rules, and scores every category."""
from fractions import Fraction

import pytest

from rubrics import NOT_APPLICABLE as NA, load_rubric
from rubrics.loader import EDITIONS_DIR
from scoring import Assessment, Response, Unit, score


@pytest.fixture(scope="module")
def edition():
    return load_rubric(EDITIONS_DIR / "bakohumas-2026.yaml")


def test_weights_follow_the_review(edition):
    assert {a.id: a.weight for a in edition.aspects} == {
        "kelembagaan": 5, "sdm": 6, "perencanaan": 7, "koordinasi": 12, "publikasi": 14,
        "laman": 10, "media-sosial": 15, "konten-kreatif": 13, "zona-informasi": 10,
        "manajemen-isu": 8}


def test_every_number_is_bounded(edition):
    for ind in edition.indicators:
        if ind.type != "number":
            continue
        assert ind.min == 0, ind.id
        if ind.unit == "persen":
            assert ind.max == 100, ind.id
        if ind.unit in ("orang", "media", "kegiatan", "kali", "penonton per episode"):
            assert ind.integer, ind.id


def test_the_review_items_are_applied(edition):
    shares = edition.indicator_shares()
    assert not edition.indicator("sk-bakohumas").scored                       # entry condition
    assert not edition.has_indicator("komponen-zona") and not edition.has_indicator("domain-resmi")
    assert edition.indicator("tingkat-interaksi").sample.count == 12
    assert edition.indicator("publikasi-tepat-waktu").sample.count == 10
    assert edition.indicator("porsi-pendidikan-pemilih").sample.count == 20
    assert {i.id for i in edition.indicators if i.allow_na} == {
        "pelibatan-badan-adhoc", "konten-tahapan", "ketepatan-layanan", "klarifikasi-24-jam",
        "klarifikasi-berbasis-data"}
    assert edition.indicator("unggahan-mingguan").bands_for("kabkota")[-1][0] == 7
    assert edition.indicator("unggahan-mingguan").bands_for("provinsi")[-1][0] == 10
    podcast = sum(shares[i] for i in ("program-podcast", "episode-podcast", "penonton-podcast"))
    assert podcast > Fraction(3, 100)                                            # was 2.2%
    assert "Partai politik" not in edition.indicator("jenis-mitra").options
    stage = edition.stages[1]
    assert [c.id for c in stage.criteria] == ["inovasi", "dampak", "keberlanjutan", "replikasi", "tanya-jawab"]
    assert (stage.shortlist_for("provinsi"), stage.shortlist_for("kabkota"), stage.pass_mark) == (10, 25, 80)
    assert edition.stages[0].weight == 80 and stage.weight == 20
    assert edition.unranked == ("pusat",)
    text = (EDITIONS_DIR / "bakohumas-2026.yaml").read_text()
    for wrong in ("Kominfo ", "Keputusan Ketua", "narasi tunggal", "54/Kpts"):
        assert wrong not in text


def test_every_category_scores_and_pusat_is_unranked(edition):
    units = (Unit("00", "KPU RI", "pusat"), Unit("33", "KPU Provinsi Jawa Tengah", "provinsi"),
             Unit("94", "KPU Provinsi Papua Pegunungan", "provinsi"),
             Unit("3302", "KPU Kabupaten Banyumas", "kabkota"))
    answers = {"sk-bakohumas": True,   # the condition of entry: without it, no rank
               "unggahan-mingguan": 7, "pelibatan-badan-adhoc": NA, "konten-tahapan": NA,
               "ketepatan-layanan": NA, "laman-ppid": 4, "program-podcast": 3, "penonton-podcast": 120}
    responses = tuple(Response(unit=u.code, self_answers=answers) for u in units[:3]) + (
        Response(unit="3302", self_answers=dict(answers, **{"penonton-podcast": 250})),)
    result = score(edition, Assessment("bakohumas-2026", units, responses))
    rows = {r.unit.code: r for r in result.ranking}
    assert rows["00"].rank is None and rows["33"].rank == rows["94"].rank == 1 and rows["3302"].rank == 1
    # 7 unique items a week is the top band for a kabupaten, the third for a province
    assert rows["3302"].aspects["media-sosial"] > rows["33"].aspects["media-sosial"]
    assert "00" not in {r.unit.code for rows_ in result.awards.values() for r in rows_}
    assert result.awards["konten-medsos-pilkada-provinsi-terbaik"] == ()         # not a stage year
    assert [r.unit.code for r in result.awards["podcast-paling-menyala"]][0] == "3302"


def test_the_2025_edition_is_unchanged_and_loads():
    old = load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml")
    assert old.sha256 == "a544bd1b5c92c782d3368122af3f317249f9beabcf68f0bf145124e6351a6c7b"


def test_the_seeds_practices_are_measured_from_the_units_channels(edition):
    measured = {i.id: i.measured_by for i in edition.indicators if i.measured_by}
    assert measured == {"liputan-hari-sama": "same_day_share", "minggu-berkonten": "weekly_share",
                        "minggu-berkonten-luar-tahapan": "weekly_share_outside_stages"}
    for ind_id in measured:
        ind = edition.indicator(ind_id)
        assert (ind.type, ind.unit, ind.min, ind.max) == ("number", "persen", 0, 100)
        assert "52 minggu" in ind.question + ind.guidance
