"""Files built from a frozen scoring run, kept under CACHE_DIR (``results-cache/``).

A run never changes, so whatever is drawn or written from it is built once and kept as a
file named by the run (``operations.results.cached``): the public charts, the rank-change
charts and the public page's document are built in the request that publishes the run; the
workbook and each unit's feedback charts and scorecard by the job that publication starts
after its commit (a pool of low-priority processes), and any still missing the first time
they are asked for (once per run and unit). Served with immutable caching: a new run has
new addresses."""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale

from reports.batch import write_atomically
from reports.parallel import draw_files
from reports.charts import aspect_chart, gap_chart
from reports.scorecard import scorecard_pdf

from .operations.feedback import all_scorecards, scorecard_footer
from .operations.practice import run_detail
from .operations.public_results import change_chart_name, page_file_name, public_page
from .operations.results import (change_categories, change_chart_order, chart_names,
                                 previous_published, previous_ranking, run_chart_order,
                                 run_file_key, run_workbook)

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


def kept_file(folder: str, run, name: str) -> bytes | None:
    """A file of the run already built, or None; ``run`` is a run or its file key
    (``run_file_key``)."""
    key = run if isinstance(run, str) else run_file_key(run)
    try:
        with open(os.path.join(folder, f"{key}-{name}"), "rb") as found:
            return found.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def feedback_file_name(unit_code: str, name: str) -> str:
    return f"umpan-balik-{unit_code}-{name}"


def scorecard_file_name(unit_code: str) -> str:
    return f"rapor-{unit_code}.pdf"


# -- at publication -----------------------------------------------------------------------------

def prepare_published(session, period, run, folder: str) -> list[str]:
    """Build what the first view of a run being published shows: its charts and the
    rank-change charts against the previous published period (drawn by a pool of
    processes, ``reports.parallel``: every core by default, ``CHART_PROCESSES`` to choose),
    and the public page's document in each language of the interface
    (``operations.public_results``). Returns their names. The workbook and the per-unit
    files are left to ``unit_files_job``, started after the commit. Called inside the
    publishing request, before its commit: a rolled-back publication leaves only files of
    a frozen run, which are right whenever it is published."""
    key = run_file_key(run)
    orders = {f"{name}.png": (lambda n=name: run_chart_order(run, n)) for name in chart_names(run)}
    previous = previous_published(session, period)
    if previous is not None:
        earlier_period, earlier = previous
        for category in change_categories(earlier, run):
            orders[change_chart_name(earlier, category)] = (
                lambda c=category: change_chart_order(earlier, earlier_period.title, run,
                                                      period.title, c))
    os.makedirs(folder, exist_ok=True)
    jobs = [(os.path.join(folder, f"{key}-{name}"), order()) for name, order in orders.items()
            if not os.path.exists(os.path.join(folder, f"{key}-{name}"))]
    default = 1 if current_app.testing else len(os.sched_getaffinity(0))
    draw_files(jobs, current_app.config.get("CHART_PROCESSES", default))
    built = list(orders)
    for language in current_app.config.get("LANGUAGES", ("id",)):
        with force_locale(language):
            public_page(session, period, run, folder)
        built.append(page_file_name(previous, language))
    return built


def unit_files_job(session, period, run, folder: str) -> "UnitFilesJob":
    """The job that writes the run's workbook and draws every ranked unit's feedback charts
    and scorecard, prepared from the database now (the cards, plain copies of the run and
    the previous ranking) and started after the commit: it needs no database."""
    detail = run_detail(run)
    cards = all_scorecards(session, period, detail.result, detail.rubric)
    ranking, name = previous_ranking(session, period)
    workbook = (name, frozen(run), SimpleNamespace(title=period.title), ranking)
    return UnitFilesJob(run, cards, scorecard_footer(period, run), folder, workbook)


RUN_COLUMNS = ("id", "number", "kind", "rubric_id", "rubric_sha256", "rubric_source",
               "exchange", "exchange_sha256", "result", "created_at")


def frozen(run) -> SimpleNamespace:
    """A plain copy of a run's columns (what scoring and the workbook read), for another
    process or for after the session is gone."""
    return SimpleNamespace(**{column: getattr(run, column) for column in RUN_COLUMNS})


class UnitFilesJob:
    """The workbook and the per-unit files of a run, built by a pool of background
    processes at low priority (``start``: pages keep their speed while it draws), or here
    and now (``run_now``); a file already there is kept."""

    def __init__(self, run, cards: list[dict], footer: dict, folder: str, workbook=None):
        self.key, self.cards, self.footer, self.folder = run_file_key(run), cards, footer, folder
        self.workbook = workbook
        self.thread = None
        self.written = 0

    def tasks(self) -> list[tuple]:
        out = [("workbook", self.key, self.folder, self.workbook)] if self.workbook else []
        return out + [("unit", self.key, self.folder, (card, self.footer)) for card in self.cards]

    def start(self, processes: int | None = None) -> threading.Thread:
        """Hand the tasks to a pool of ``processes`` (every core but one by default: the
        web workers keep a core for the first visitors) from a thread that waits for
        them; returns the thread."""
        self.thread = threading.Thread(target=self._pool, args=(processes,),
                                       name=f"run-files-{self.key}", daemon=True)
        self.thread.start()
        return self.thread

    def _pool(self, processes: int | None) -> None:
        try:
            os.makedirs(self.folder, exist_ok=True)
            processes = processes or max(1, len(os.sched_getaffinity(0)) - 1)
            # spawn, not fork: the children need no copy of a web worker's connections
            with multiprocessing.get_context("spawn").Pool(processes, initializer=_background) as pool:
                self.written = sum(pool.imap_unordered(build_task, self.tasks(), chunksize=4))
        except Exception:   # a cache: the pages build what is missing on first request
            log.exception("building the files of run %s failed", self.key)

    def run_now(self) -> int:
        try:
            os.makedirs(self.folder, exist_ok=True)
            self.written = sum(build_task(task) for task in self.tasks())
        except Exception:   # a cache: the pages build what is missing on first request
            log.exception("building the files of run %s failed", self.key)
        return self.written


def _background() -> None:
    """A pool process's priority: below the web workers' (nice 10)."""
    try:
        os.nice(10)
    except OSError:
        pass


def build_task(task: tuple) -> int:
    """One task of ``UnitFilesJob`` (a pool's or this process's): the workbook, or one
    unit's two charts and scorecard; returns how many files it wrote."""
    kind, key, folder, data = task
    if kind == "workbook":
        name, run, period, previous = data
        targets = {name: lambda: run_workbook(period, run, previous=previous)}
    else:
        card, footer = data
        code = card["code"]
        targets = {feedback_file_name(code, n): (lambda f=f: f(card))
                   for n, f in FEEDBACK_FILES.items()}
        targets[scorecard_file_name(code)] = lambda: scorecard_pdf(card, **footer)
    written = 0
    for name, build in targets.items():
        path = os.path.join(folder, f"{key}-{name}")
        if not os.path.exists(path):
            write_atomically(path, build())
            written += 1
    return written
