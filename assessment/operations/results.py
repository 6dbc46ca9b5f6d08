"""Finalising and publishing scoring runs, and the files built from a frozen run.

A run's ranking, workbook and charts are always rebuilt from what the run froze (its
exchange document and rubric source) by ``scoring.score`` and ``reports``: nothing here
computes a score. Runs never change, so whatever is built from one is cached for good."""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from reports import charts
from reports.batch import software_version, write_atomically
from reports.parallel import draw
from reports.indonesian import CATEGORY_NAMES
from reports.rank_changes import rank_changes
from reports.workbook import ranking_workbook
from scoring import assessment_from_dict, score
from scoring.robustness import rank_intervals

from .. import audit
from ..models import Period, Publication, ScoringRun
from ..rubric_store import rubric_for
from ..transaction import after_commit
from . import Conflict, Invalid
from .season import check_gates, gates
from .runs import (create_run, dumps, export_exchange, latest_run, publish, published_run,
                   run_result, scored_run)

CHARTS = ("sebaran", "peta-provinsi")   # and "peringkat-<category>"
ROBUSTNESS_RUNS = 200


def finalise(session, period: Period, user, reason: str = "", now=None) -> ScoringRun:
    """Freeze a final run of the period as it stands, once every gate of the final ranking
    holds (operations.season); after an earlier final run this is a correction and needs a
    reason (the older run stays readable)."""
    reason = (reason or "").strip()
    earlier = latest_run(session, period, "final")
    if earlier is not None and not reason:
        raise Invalid(_("A correction of a final ranking needs a reason."))
    check_gates(session, period, "final", now)
    run = create_run(session, period, "final", user, reason)
    audit.record("run.final", run, user=user, period_id=period.id, number=run.number,
                 reason=reason, correction_of=earlier.number if earlier else None,
                 rubric=run.rubric_id, rubric_sha256=run.rubric_sha256,
                 exchange_sha256=run.exchange_sha256)
    return run


def not_ready(session, period: Period, now=None) -> list[str]:
    """What stands in the way of a final ranking: the messages of its failing gates."""
    return [g.message for g in gates(session, period, now, ("final",)) if not g.ok]


def publish_run(session, period: Period, run: ScoringRun, user):
    """Publish a final run: from now on the public results show it."""
    check_gates(session, period, "publish")
    if run.period_id != period.id or run.kind != "final":
        raise Invalid(_("Only a final ranking can be published."))
    current = published_run(session, period)
    if current is not None and current.id == run.id:
        raise Conflict(_("This ranking is already published."))
    pub = publish(session, period, run, user)
    audit.record("run.publish", run, user=user, period_id=period.id, number=run.number,
                 replaces=current.number if current else None)
    _prepare_files(session, period, run)
    return pub


def _prepare_files(session, period: Period, run: ScoringRun) -> None:
    """The run's public charts and workbook now (assessment/run_files.py), so the first
    view of the published period finds them; every unit's feedback charts and scorecard
    by a job started once the publication is committed."""
    # cycle: run_files builds the files with this module's charts and workbook (it imports
    # operations.results), and publishing here starts it: imported when a run is published
    from .. import run_files
    if not has_app_context():
        return
    folder = run_files.cache_dir(current_app)
    run_files.prepare_published(session, period, run, folder)
    if current_app.config.get("RUN_FILES_JOB", not current_app.testing):
        job = run_files.unit_files_job(session, period, run, folder)
        after_commit(job.start, session)


# -- a run's ranking, rebuilt from what it froze ---------------------------------------------

def run_file_key(run: ScoringRun) -> str:
    """A name for everything built from this run (runs never change; the creation time
    keeps two databases' run 1 apart)."""
    text = f"{run.id}|{run.created_at.isoformat()}|{run.exchange_sha256}|{run.rubric_sha256}"
    return f"{run.id}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"



def run_title(period: Period, run: ScoringRun) -> str:
    """The period title naming the run, for the workbook's Metadata ("Periode")."""
    kind = "final" if run.kind == "final" else "sementara"
    return f"{period.title} \u2014 penghitungan ke-{run.number} ({kind})"


def run_workbook(period: Period, run: ScoringRun, intervals: dict | None = None,
                 previous: dict | None = None) -> bytes:
    """The ranking workbook of a run (Metadata: run number, rubric and input SHA-256):
    "Tidak Mengirim" names the run's units that did not submit, "Rincian Indikator" shows
    the answers given, "Perubahan Peringkat" compares with ``previous``
    (``previous_ranking``), a stage scored per criterion has a sheet of the judges' marks
    ("Tahap 2 per Kriteria"); with ``intervals`` (``run_intervals``) it has the "Ketahanan
    Peringkat" sheet too."""
    rubric, result = scored_run(run)
    assessment = assessment_from_dict(json.loads(run.exchange))
    return ranking_workbook(result, rubric, period_title=run_title(period, run),
                            input_sha256=run.exchange_sha256, generated_at=run.created_at,
                            software_version=software_version(), intervals=intervals,
                            units=assessment.units, previous=previous,
                            answers={r.unit: r.self_answers for r in assessment.responses},
                            stages={r.unit: r.stages for r in assessment.responses if r.stages})


def previous_ranking(session, period: Period) -> tuple[dict | None, str]:
    """(``{"title", "ranking"}`` of the previous published period for the workbook's
    "Perubahan Peringkat", or None; a name for the cached file that tells them apart)."""
    previous = previous_published(session, period)
    if previous is None:
        return None, "peringkat.xlsx"
    earlier_period, earlier = previous
    return ({"title": earlier_period.title, "ranking": run_result(earlier)["ranking"]},
            f"peringkat-{earlier.id}.xlsx")


def rank_change_data(session, period: Period, run: ScoringRun) -> dict:
    """``{"previous": slug or None, "categories": {category: [{"unit", "name",
    "previous_rank", "rank", "change"}]}}`` against the previous published period
    (``reports.rank_changes``; change = previous rank - rank, positive: moved up)."""
    previous = previous_published(session, period)
    if previous is None:
        return {"previous": None, "categories": {}}
    earlier_period, earlier = previous
    return {"previous": earlier_period.slug,
            "categories": rank_changes(run_result(earlier)["ranking"], run_result(run)["ranking"])}


def run_intervals(run: ScoringRun, runs: int = ROBUSTNESS_RUNS) -> dict:
    """The run's rank intervals (``scoring.robustness.rank_intervals``, seeded: the same
    run gives the same intervals); about 30 s for 553 units and 200 runs."""
    rubric, _result = scored_run(run)
    return rank_intervals(rubric, assessment_from_dict(json.loads(run.exchange)), runs=runs)


def run_provinces(run: ScoringRun) -> list[str]:
    """Every province of the run's units (those that existed when the period opened), so
    the heat map shows a row for each, ranked units or not."""
    units = json.loads(run.exchange).get("units", [])
    return sorted({u["province"] for u in units if u.get("province")}
                  | {u["name"] for u in units if u.get("category") == "provinsi"})


def chart_names(run: ScoringRun) -> list[str]:
    _rubric, result = scored_run(run)
    return [f"peringkat-{c}" for c in result.categories
            if any(r.unit.category == c for r in result.ranking)] + list(CHARTS)


def run_chart(run: ScoringRun, name: str) -> bytes:
    """One chart of a run as PNG bytes; KeyError for an unknown name."""
    return draw(run_chart_order(run, name))


def run_chart_order(run: ScoringRun, name: str) -> tuple[str, tuple, dict]:
    """What drawing one chart of a run takes, as plain data (``reports.parallel``): the
    ``reports.charts`` function's name and its arguments; KeyError for an unknown name."""
    rubric, result = scored_run(run)
    bands = charts.predicate_bands(rubric)
    if name == "sebaran":
        return ("distribution_chart", (charts.distribution_data(result), bands),
                {"title": "Sebaran nilai total"})
    if name == "peta-provinsi":
        return ("heatmap_chart", (), dict(
            charts.heatmap_data(result, rubric, provinces=run_provinces(run)),
            title="Rata-rata nilai aspek semua satuan kerja per provinsi"))
    category = name.removeprefix("peringkat-")
    if name.startswith("peringkat-") and name in chart_names(run):
        return ("ranking_chart", (charts.ranking_data(result, category), bands),
                {"title": f"Peringkat {CATEGORY_NAMES.get(category, category)}"})
    raise KeyError(name)


def previous_published(session, period: Period) -> tuple[Period, ScoringRun] | None:
    """The latest published period that opened before this one, with its published run
    (its latest publication's): one query."""
    found = session.execute(
        select(Period, ScoringRun).join(Publication, Publication.period_id == Period.id)
        .join(ScoringRun, ScoringRun.id == Publication.run_id)
        .where(Period.opens_at < period.opens_at)
        .order_by(Period.opens_at.desc(), Period.id.desc(), Publication.id.desc())
        .limit(1)).first()
    return None if found is None else (found[0], found[1])


def previous_published_column(column: str):
    """A scalar subquery correlated with the ``period`` table: the ``column`` of the previous
    published period's run (the latest published period that opened before it; its latest
    publication), as ``previous_published`` finds it, for a query reading short columns
    only (``public_results.published``)."""
    period, pub, run = (Period.__table__.alias(), Publication.__table__.alias(),
                        ScoringRun.__table__.alias())
    return (select(run.c[column])
            .select_from(pub.join(period, period.c.id == pub.c.period_id)
                         .join(run, run.c.id == pub.c.run_id))
            .where(period.c.opens_at < Period.__table__.c.opens_at,
                   period.c.deleted_at.is_(None))
            .order_by(period.c.opens_at.desc(), period.c.id.desc(), pub.c.id.desc())
            .limit(1).scalar_subquery())


def change_categories(earlier: ScoringRun, later: ScoringRun) -> list[str]:
    """Categories in which units ranked in both runs: those get a slope chart."""
    before = {(r["category"], r["unit"]) for r in run_result(earlier)["ranking"]
              if r["rank"] is not None}
    return sorted({r["category"] for r in run_result(later)["ranking"]
                   if r["rank"] is not None and (r["category"], r["unit"]) in before})


def change_chart(earlier: ScoringRun, earlier_title: str, later: ScoringRun, later_title: str,
                 category: str) -> bytes:
    """Rank changes of the units ranked in both runs (different rubrics are fine: ranks are
    compared, never scores)."""
    return draw(change_chart_order(earlier, earlier_title, later, later_title, category))


def change_chart_order(earlier: ScoringRun, earlier_title: str, later: ScoringRun,
                       later_title: str, category: str) -> tuple[str, tuple, dict]:
    """``change_chart`` as plain data (``run_chart_order``)."""
    return ("slope_chart", (), dict(
        slope_data(earlier, later, category), periods=(earlier_title, later_title),
        title=f"Perubahan peringkat {CATEGORY_NAMES.get(category, category)}"))


def slope_data(earlier: ScoringRun, later: ScoringRun, category: str) -> dict:
    """``reports.charts.slope_data`` of two runs from their stored results (ranks and names
    of one category): neither run is scored again."""
    before = [r for r in run_result(earlier)["ranking"] if r["category"] == category]
    after = [r for r in run_result(later)["ranking"] if r["category"] == category]
    # only ranks are compared: a unit listed without rank (a condition of entry not met,
    # an unranked category) has none to draw
    return {"before": {r["unit"]: r["rank"] for r in before if r["rank"] is not None},
            "after": {r["unit"]: r["rank"] for r in after if r["rank"] is not None},
            "names": {r["unit"]: r["name"] for r in before + after}}


def cached(cache_dir, run: ScoringRun, name: str, build) -> bytes:
    """``build()`` once per run and name, kept as a file in ``cache_dir``."""
    path = Path(cache_dir) / f"{run_file_key(run)}-{name}"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data)
    return data


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header."""
    return struct.unpack(">II", data[16:24])


def current_result(session, period: Period):
    """(rubric, Result with detail, exchange text) of the period's data as it stands now."""
    exchange = dumps(export_exchange(session, period))
    rubric = rubric_for(period)
    return rubric, score(rubric, assessment_from_dict(json.loads(exchange)), detail=True), exchange
