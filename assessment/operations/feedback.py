"""A unit's feedback from the published run: one set of data for the API, the page, its
charts and the scorecard (web and command line alike).

``unit_feedback`` finds the run (the published one; the admin's preview: the latest final
run), and builds from it the API's data (``reports.feedback.feedback_data``: the unit's
aspect scores against the national mean of its category and the mean of its category in
its province, both with n) and the scorecard data drawn from that same data, with the
judges' comments per indicator ("Penilai n")."""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from reports.batch import write_atomically
from reports.feedback import baselines, feedback_data
from reports.scorecard import scorecard_data, scorecard_pdf
from scoring.order import tie_breaks

from ..models import (JudgeAssignment, Period, Publication, ScoringRun, Submission, User,
                      Verification, WorkUnit)
from ..models import period_version
from ..permissions import can_monitor, units_visible_to
from .judging import judge_comments, number_judges
from .library import pct
from .practice import RunDetail, answer_text, feedback_run, run_detail
from .public_results import language
from .runs import published_run


@dataclass(frozen=True)
class UnitFeedback:
    """What a unit's feedback page, API answer and scorecard show."""

    period: Period
    unit: WorkUnit
    run: ScoringRun
    detail: RunDetail
    data: dict | None        # the API's shape; None when the unit is not in the run
    card: dict | None        # reports.scorecard data made from ``data``
    comments: dict           # indicator id -> [(judge number, comment)]
    published: bool


def unit_feedback(session, period: Period, unit: WorkUnit, *,
                  preview: bool = False) -> UnitFeedback | None:
    """The unit's feedback, or None when there is no run to show (not published, and no
    final run for an admin's ``preview``)."""
    run = feedback_run(session, period, preview=preview)
    if run is None:
        return None
    detail = run_detail(run)
    data = feedback_data(detail.result, unit.code, detail.means, ties=detail.ties)
    comments = judge_comments(session, period, unit.code)
    card = None
    if data is not None:
        card = scorecard_data(detail.result, detail.rubric, unit.code, feedback=data,
                              comments=comments)
    return UnitFeedback(period, unit, run, detail, data, card, comments,
                        published=published_run(session, period) is not None)


def scorecard_file(feedback: UnitFeedback) -> bytes:
    """The unit's scorecard PDF: the period's own title, the run's number, time and input
    SHA-256, so the command line (``results_export``) makes the same file from the run."""
    return scorecard_pdf(feedback.card, **scorecard_footer(feedback.period, feedback.run))


def scorecard_footer(period: Period, run: ScoringRun | None) -> dict:
    """``scorecard_pdf``'s footer arguments for a run of the period."""
    if run is None:
        return {"period_title": period.title}
    return {"period_title": period.title, "generated_at": run.created_at,
            "run_number": run.number, "input_sha256": run.exchange_sha256}


def api_json(data: dict) -> dict:
    """The feedback data with JSON numbers (two decimals, already rounded half up)."""
    def num(value):
        return None if value is None else float(value)

    def mean(item):
        return None if item is None else {"mean": num(item["mean"]), "n": item["n"]}
    not_ranked = None
    if data["rank"] is None:
        not_ranked = "Not ranked: entry condition not met" if data["entry_unmet"] else "Not ranked"
    return {"unit": data["unit"], "category": data["category"], "total": num(data["total"]),
            "rank": data["rank"], "ranked": data["ranked"], "entry_unmet": data["entry_unmet"],
            "not_ranked": not_ranked, "decided_by": data["decided_by"],
            "aspects": [{"id": a["id"], "score": num(a["score"]), "national": mean(a["national"]),
                         "province": mean(a["province"])} for a in data["aspects"]]}


def all_scorecards(session, period: Period, result, rubric) -> list[dict]:
    """Scorecard data of every unit of ``result`` (ranked or listed without rank), made as
    ``unit_feedback`` makes one (the same means, the same comments per indicator), for the
    command line."""
    base, comments = baselines(result), comments_by_unit(session, period)
    ties = tie_breaks(rubric, result)
    return [scorecard_data(result, rubric, row.unit.code, means=base, ties=ties,
                           comments=comments.get(row.unit.code, {}))
            for row in result.ranking]


def comments_by_unit(session, period: Period) -> dict[str, dict[str, list[tuple[int, str]]]]:
    """{unit code: {indicator id: [(judge number, comment)]}}: ``judging.judge_comments``
    for every unit at once (active judges, numbered as everywhere else)."""
    pairs: dict[str, list] = {}
    for code, judge_id, active in session.query(
            JudgeAssignment.unit_code, JudgeAssignment.judge_id,
            JudgeAssignment.active).filter_by(period_id=period.id):
        pairs.setdefault(code, []).append((judge_id, active))
    numbers = {code: number_judges(found) for code, found in pairs.items()}
    rows = (session.query(JudgeAssignment.unit_code, JudgeAssignment.judge_id,
                          Verification.indicator_id, Verification.comment)
            .join(Verification, Verification.assignment_id == JudgeAssignment.id)
            .filter(JudgeAssignment.period_id == period.id, JudgeAssignment.active.is_(True),
                    Verification.comment != ""))
    out: dict[str, dict[str, list]] = {}
    for code, judge_id, indicator_id, comment in sorted(
            rows, key=lambda r: (r[0], numbers[r[0]][r[1]], r[2])):
        if comment and comment.strip():
            out.setdefault(code, {}).setdefault(indicator_id, []).append(
                (numbers[code][judge_id], comment.strip()))
    return out


# -- the pages' data ---------------------------------------------------------------------------

def published_periods(session) -> list[Period]:
    """Periods with a publication, newest first."""
    ids = {pid for (pid,) in session.query(Publication.period_id)}
    return (session.query(Period).filter(Period.id.in_(ids))
            .order_by(Period.opens_at.desc()).all()) if ids else []


def feedback_periods(session, *, preview: bool = False) -> list[Period]:
    """The periods with feedback to show: published ones, and for an admin's ``preview``
    those with a final run not yet published after them."""
    periods = published_periods(session)
    if preview:
        finals = {p.id for p in periods}
        periods += [p for p in session.query(Period).order_by(Period.opens_at.desc())
                    if p.id not in finals and feedback_run(session, p, preview=True)]
    return periods


def units_in_scope(session, user: User) -> list[WorkUnit]:
    """The units an admin or monitor may choose (an operator goes to its own unit's page)."""
    if not can_monitor(user):
        return []
    return (session.query(WorkUnit).filter(WorkUnit.active.is_(True), units_visible_to(user))
            .order_by(WorkUnit.code).all())


def submitted_published_periods(session, unit: WorkUnit | None) -> list[Period]:
    """Published periods in which the unit submitted (those with a feedback page for it)."""
    if unit is None:
        return []
    subs = {s.period_id for s in session.query(Submission.period_id).filter_by(
        unit_code=unit.code, status="submitted")}
    return [p for p in published_periods(session) if p.id in subs]


def indicator_rows(feedback: UnitFeedback) -> list[dict]:
    """Per aspect: every scored indicator claimed against verified, with the comments."""
    detail, code = feedback.detail, feedback.unit.code
    row = detail.row(code)
    answers = (detail.responses.get(code) or {}).get("self", {})
    groups = []
    for aspect in detail.rubric.aspects:
        items = []
        for ind in aspect.indicators:
            info = row.indicators.get(ind.id) if ind.scored else None
            said = feedback.comments.get(ind.id, [])
            if info is None and not said:
                continue
            items.append({"id": ind.id, "question": ind.question,
                          "answer": answer_text(ind, answers.get(ind.id)),
                          "self_pct": pct(info.self_fraction) if info else None,
                          "verified_pct": pct(info.verified) if info else None,
                          "not_applicable": info is not None and info.not_applicable,
                          "moderated": info is not None and info.moderated is not None,
                          "comments": said})
        groups.append({"id": aspect.id, "title": aspect.title, "rows": items})
    return groups


def awards(feedback: UnitFeedback) -> list[str]:
    """The titles of the awards the unit won in the run."""
    detail = feedback.detail
    titles = {a.id: a.title for a in detail.rubric.awards}
    return [titles.get(aid, aid) for aid, rows in detail.result.awards.items()
            for r in rows if r.winner and r.unit.code == feedback.unit.code]


# -- the page's content kept ---------------------------------------------------------------------

_BODIES: OrderedDict = OrderedDict()   # file path -> the kept content of a unit's page
_BODIES_MAX = 64
_bodies_rendered = [0]                 # contents rendered to be kept here (tests count them)


def page_body_name(session, found, unit_code: str) -> str | None:
    """``body_name`` for the period's published run (``public_results.published``), or
    None when the content cannot be kept: nothing published (an admin's preview), no
    version row yet, or changes of this session not bumped yet."""
    if found is None or found.version is None or period_version.unbumped(session):
        return None
    return body_name(unit_code, found.version, language())


def body_name(unit_code: str, version: tuple, locale: str) -> str:
    """The file name (after the run's key) of a unit's page content as rendered for a
    period version (its judges' comments, the unit's name, the publication) and language."""
    text = repr((unit_code, version, locale))
    return (f"umpan-balik-{unit_code}-{locale}-"
            f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.html")


def kept_body(folder: str, key: str, name: str) -> str | None:
    """The unit's page content kept for the run with file key ``key``, from memory or its
    file; None when it was never rendered."""
    path = str(Path(folder) / f"{key}-{name}")
    html = _BODIES.get(path)
    if html is None:
        try:
            html = Path(path).read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        _remember(path, html)
    _BODIES.move_to_end(path)
    return html


def keep_body(folder: str, key: str, name: str, html: str) -> None:
    """Keep a unit's page content (``render``ed by the view) in memory and as a file beside
    the run's other files; the run's earlier renderings for the same unit and language (an
    older period version) are removed."""
    _bodies_rendered[0] += 1
    path = Path(folder) / f"{key}-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, html.encode("utf-8"))
    stem = path.name.rsplit("-", 1)[0]     # <run>-umpan-balik-<unit>-<language>
    for old in path.parent.glob(f"{stem}-*.html"):
        if old != path:
            old.unlink(missing_ok=True)
            _BODIES.pop(str(old), None)
    _remember(str(path), html)


def _remember(path: str, html: str) -> None:
    _BODIES[path] = html
    while len(_BODIES) > _BODIES_MAX:
        _BODIES.popitem(last=False)
