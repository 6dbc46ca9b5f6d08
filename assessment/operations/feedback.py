"""A unit's feedback from the published run: one set of data for the API, the page, its
charts and the scorecard (web and command line alike).

``unit_feedback`` finds the run (the published one; the admin's preview: the latest final
run), and builds from it the API's data (``reports.feedback.feedback_data``: the unit's
aspect scores against the national mean of its category and the mean of its category in
its province, both with n) and the scorecard data drawn from that same data, with the
judges' comments per indicator ("Penilai n")."""
from __future__ import annotations

from dataclasses import dataclass

from reports.feedback import baselines, feedback_data
from reports.scorecard import scorecard_data, scorecard_pdf

from ..models import JudgeAssignment, Period, ScoringRun, WorkUnit, Verification
from .judging import judge_comments, number_judges
from .practice import RunDetail, feedback_run, run_detail
from .runs import published_run


@dataclass(frozen=True)
class UnitFeedback:
    """What a unit's feedback page, API answer and scorecard show."""

    period: Period
    unit: WorkUnit
    run: ScoringRun
    detail: RunDetail
    data: dict | None        # the API's shape; None when the unit is not ranked in the run
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
    data = feedback_data(detail.result, unit.code, detail.means)
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
    return {"unit": data["unit"], "category": data["category"], "total": num(data["total"]),
            "rank": data["rank"],
            "aspects": [{"id": a["id"], "score": num(a["score"]), "national": mean(a["national"]),
                         "province": mean(a["province"])} for a in data["aspects"]]}


def all_scorecards(session, period: Period, result, rubric) -> list[dict]:
    """Scorecard data of every ranked unit of ``result``, made as ``unit_feedback`` makes
    one (the same means, the same comments per indicator), for the command line."""
    base, comments = baselines(result), comments_by_unit(session, period)
    return [scorecard_data(result, rubric, row.unit.code, means=base,
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
