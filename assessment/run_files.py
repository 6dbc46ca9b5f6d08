"""Files built from a frozen scoring run, kept under CACHE_DIR (``results-cache/``).

A run never changes, so whatever is drawn or written from it is built once and kept as a
file named by the run (``operations.results.cached``): the public charts, the rank-change
charts and the workbook are built in the request that publishes the run; each unit's
feedback charts and scorecard the first time they are asked for (once per run and unit),
and by the job that publication starts after its commit, so that the first visitor
already finds them. Served with immutable caching: a new run has new addresses."""
from __future__ import annotations

import logging
import os
import threading

from flask import current_app

from reports.batch import write_atomically
from reports.charts import aspect_chart, gap_chart
from reports.scorecard import scorecard_pdf

from .operations.feedback import all_scorecards, scorecard_footer
from .operations.practice import run_detail
from .operations.results import (cached, change_categories, change_chart, chart_names,
                                 previous_published, previous_ranking, run_chart, run_file_key,
                                 run_workbook)

log = logging.getLogger(__name__)


def cache_dir(app=None) -> str:
    """The folder of the files built from runs (CACHE_DIR/results-cache, or the
    instance folder's results-cache)."""
    app = app or current_app
    return app.config.get("RESULTS_CACHE_DIR") or os.path.join(app.instance_path,
                                                               "results-cache")


# -- a unit's feedback charts and scorecard ---------------------------------------------------

def radar_png(card: dict) -> bytes:
    """The aspect dot plot: the unit against its category's means, labelled with what they
    cover and their n (the provincial mean only when it is a comparison: n > 1)."""
    aspects = card["aspects"]
    provincial = [a["provincial_mean"] for a in aspects]
    shown = card["provincial_label"] and all(v is not None for v in provincial) and any(
        (a["provincial_n"] or 0) > 1 for a in aspects)
    return aspect_chart([a["title"] for a in aspects], [a["verified"] for a in aspects],
                        [a["national_mean"] or 0 for a in aspects],
                        provincial if shown else None, unit_name=card["name"],
                        national_label=card["national_label"],
                        provincial_label=card["provincial_label"] or "")


def gaps_png(card: dict) -> bytes:
    aspects = card["aspects"]
    return gap_chart([a["title"] for a in aspects], [a["self"] for a in aspects],
                     [a["verified"] for a in aspects],
                     title=f"Penilaian mandiri dan hasil verifikasi: {card['name']}")


FEEDBACK_FILES = {"radar.png": radar_png, "selisih.png": gaps_png}


def feedback_file_name(unit_code: str, name: str) -> str:
    return f"umpan-balik-{unit_code}-{name}"


def scorecard_file_name(unit_code: str) -> str:
    return f"rapor-{unit_code}.pdf"


# -- at publication -----------------------------------------------------------------------------

def prepare_published(session, period, run, folder: str) -> list[str]:
    """Build the public files of a run being published: its charts, the rank-change
    charts against the previous published period, and the workbook. Returns their names.
    Called inside the publishing request, before its commit: a rolled-back publication
    leaves only files of a frozen run, which are right whenever it is published."""
    built = []
    for name in chart_names(run):
        cached(folder, run, f"{name}.png", lambda n=name: run_chart(run, n))
        built.append(f"{name}.png")
    previous = previous_published(session, period)
    if previous is not None:
        earlier_period, earlier = previous
        for category in change_categories(earlier, run):
            name = change_chart_name(earlier, category)
            cached(folder, run, name, lambda c=category: change_chart(
                earlier, earlier_period.title, run, period.title, c))
            built.append(name)
    ranking, name = previous_ranking(session, period)
    cached(folder, run, name, lambda: run_workbook(period, run, previous=ranking))
    built.append(name)
    return built


def change_chart_name(earlier, category: str) -> str:
    return f"perubahan-{earlier.id}-{earlier.number}-{category}.png"


def unit_files_job(session, period, run, folder: str) -> "UnitFilesJob":
    """The job that draws every ranked unit's feedback charts and writes its scorecard,
    prepared from the database now (the cards) and started after the commit, in a thread:
    it needs no database, only the frozen run's data."""
    detail = run_detail(run)
    cards = all_scorecards(session, period, detail.result, detail.rubric)
    return UnitFilesJob(run, cards, scorecard_footer(period, run), folder)


class UnitFilesJob:
    """Per-unit files of a run, built in a background thread (``start``) or at once
    (``run_now``); a file already there is kept."""

    def __init__(self, run, cards: list[dict], footer: dict, folder: str):
        self.key, self.cards, self.footer, self.folder = run_file_key(run), cards, footer, folder
        self.thread = None

    def start(self) -> threading.Thread:
        self.thread = threading.Thread(target=self.run_now, name=f"run-files-{self.key}",
                                       daemon=True)
        self.thread.start()
        return self.thread

    def run_now(self) -> int:
        written = 0
        try:
            os.makedirs(self.folder, exist_ok=True)
            for card in self.cards:
                code = card["code"]
                targets = {feedback_file_name(code, n): (lambda c=card, f=f: f(c))
                           for n, f in FEEDBACK_FILES.items()}
                targets[scorecard_file_name(code)] = (
                    lambda c=card: scorecard_pdf(c, **self.footer))
                for name, build in targets.items():
                    path = os.path.join(self.folder, f"{self.key}-{name}")
                    if not os.path.exists(path):
                        write_atomically(path, build())
                        written += 1
        except Exception:   # a cache: the pages build what is missing on first request
            log.exception("building the per-unit files of run %s failed", self.key)
        return written
