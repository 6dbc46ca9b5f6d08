"""The demo's earlier season, gone through from start to finish: questionnaires submitted,
two judges per unit (assigned by assessment.assignment, conflicts respected), a few
disagreements moderated, a provisional ranking, stage-two presentations of the shortlist,
objections in the masa sanggah (one accepted, others rejected), a final run, publication
and a good-practice library. A newcomer sees results, charts and scorecards at once.

Rows are written in bulk (assessment.demo_questionnaires); the rankings come from operations.runs
(scoring.score on the exported exchange document), never from here."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from itertools import islice

from sqlalchemy import select

from reports.indonesian import WIB
from rubrics import NOT_APPLICABLE
from rubrics.loader import EDITIONS_DIR
from scoring import answer_fraction

from .assignment import Judge, UnitToJudge, assign
from .demo_questionnaires import JUDGES, SEED, fill_period, insert_rows
from .models import (AuditLog, DisagreementAcceptance, Evidence, GoodPractice, JudgeAssignment,
                     Moderation, Objection,
                     Period, StageScore, Submission, User, Verification, WorkUnit)
from .models.types import utcnow
from .operations.judging import judge_conflict, province_of, setting, wrap
from .operations.periods import open_period
from .operations.runs import create_run, publish, run_result, scored_run, shortlisted_units
from .rubric_store import rubric_by_id, store_rubric

EARLIER = {"slug": "bakohumas-2024", "title": "Penilaian Tata Kelola Bakohumas 2024",
           "rubric": "bakohumas-2024", "levels": ["provinsi", "kabkota"], "years_ago": 0, "seed": 1}
# an older season, so the 2024 results show rank changes (a slope chart per category)
OLDEST = {"slug": "bakohumas-2021", "title": "Penilaian Tata Kelola Bakohumas 2021",
          "rubric": "bakohumas-2021", "levels": ["provinsi", "kabkota"], "seed": 2,
          # opened in its own year: the registry then has no Papua provinces 93-96 (2022)
          "year": 2021}
# a few strong units, so the top of the ranking looks like the awards' (synthetic data)
STRONG = {"35": 0.95, "33": 0.93, "32": 0.9, "33.74": 0.95, "35.78": 0.93}
COMMENTS = ["Bukti tautan sesuai dengan jawaban.", "Dokumen SK belum ditandatangani; nilai disesuaikan.",
            "Jumlah unggahan tidak sesuai tangkapan layar yang dilampirkan.",
            "Konten kreatif baik, namun frekuensinya belum rutin.",
            "Bukti tidak dapat dibuka; dinilai dari keterangan saja.",
            "Sudah sesuai standar pedoman kehumasan."]


def finished_period(session, users: dict[str, int], spec: dict = EARLIER) -> str:
    period = session.scalars(select(Period).where(Period.slug == spec["slug"])).first()
    if period is not None:
        return f"Demo period {period.slug!r} exists already; left as it is."
    rnd = random.Random(SEED + spec["seed"])
    edition = EDITIONS_DIR / f"{spec['rubric']}.yaml"      # the season's own edition
    store_rubric(session, edition.read_bytes(), edition.name)
    day = _days_ago(_season_offset(spec["year"]) if "year" in spec else 365 * spec["years_ago"])
    period = open_period(session, slug=spec["slug"], title=spec["title"],
                         rubric_id=spec["rubric"], opens_at=day(400, 8), closes_at=day(370, 23, 59),
                         levels=spec["levels"], user=None)
    period.settings = {"demo": True, "judges_per_unit": 2}
    period.verification_closes_at = day(345, 23, 59)
    period.objection_opens_at, period.objection_closes_at = day(335, 8), day(328, 23, 59)
    fill_period(session, period, users, rnd, now=day(371, 12), mix=(0.97, 0.02), strong=STRONG,
                absent=spec.get("absent", frozenset()))
    session.flush()
    rubric = rubric_by_id(period.rubric_id)
    subs = {s.unit_code: s for s in session.scalars(select(Submission).where(
        Submission.period_id == period.id, Submission.status == "submitted"))}
    judges = session.scalars(select(User).where(User.username.in_([j[0] for j in JUDGES]))).all()
    assignments = assign_judges(session, period, subs, judges, day)
    verified = verify(session, rubric, assignments, subs, rnd, day)
    moderated = moderate(session, period, rubric, verified, users, day)
    provisional = create_run(session, period, "provisional", None, "Peringkat sementara", at=day(342, 10))
    shortlist = shortlisted_units(session, period)
    present(session, period, provisional, shortlist, judges, rnd, day)
    # what units see in the masa sanggah: the provisional ranking with stage two scored
    create_run(session, period, "provisional", None, "Peringkat sementara setelah presentasi",
               at=day(336, 10))
    objections = object_and_review(session, period, rubric, subs, judges, assignments, users, rnd, day)
    # scored with detail once: good_practice reads it (runs.scored_run) without scoring again
    final = create_run(session, period, "final", None, at=day(325, 15), keep_detail=True)
    publish(session, period, final, None, at=day(322, 10))
    practices = good_practice(session, period, rubric, final, day)
    _audit(session, period, day, len(assignments), moderated, len(shortlist), objections)
    top = [row for row in run_result(final)["ranking"] if row["category"] == "provinsi"][:3]
    return (f"{period.title} ({period.slug}): finished and published: {len(subs)} units verified by "
            f"two judges each, {len(shortlist)} presented in stage two, {objections} objections, "
            f"{practices} good practices; top provinces: "
            + ", ".join(f"{row['rank']}. {row['name']}" for row in top))


def _season_offset(year: int) -> int:
    """The ``_days_ago`` offset that makes a season open (day 400) on 1 March of ``year``."""
    today = utcnow().astimezone(WIB).date()
    return (today - date(year, 3, 1)).days - 400


def _days_ago(offset: int = 0):
    today = utcnow().astimezone(WIB).date() - timedelta(days=offset)

    def day(n: int, hour: int = 9, minute: int = 0) -> datetime:
        return datetime.combine(today - timedelta(days=n), time(hour, minute), WIB).astimezone(timezone.utc)
    return day


def assign_judges(session, period, subs, judges, day) -> list[JudgeAssignment]:
    """Two judges per submitted unit by the flow assignment (conflicts and even loads)."""
    units = session.scalars(select(WorkUnit).where(WorkUnit.code.in_(list(subs)))).all()
    plan = assign([UnitToJudge(u.code, province_of(u)) for u in units],
                  [Judge(str(j.id), j.unit_code, province_of(j.unit)) for j in judges],
                  per_unit=2, same_province=True)
    rows = [{"period_id": period.id, "unit_code": code, "judge_id": int(judge_id), "active": True,
             "created_at": day(369), "started_at": day(366 - n % 15, 9 + n % 7),
             "completed_at": day(350 - n % 4, 10 + n % 6), "ended_reason": ""}
            for code, judge_ids in sorted(plan.items()) for n, judge_id in enumerate(judge_ids)]
    insert_rows(session, JudgeAssignment, rows)
    return session.scalars(select(JudgeAssignment).where(JudgeAssignment.period_id == period.id)
                           .order_by(JudgeAssignment.id)).all()


def judged(indicator, claim, rnd: random.Random, strict: float):
    """A judge's verified value: mostly the claim, sometimes lower where evidence falls short."""
    if claim is None or rnd.random() > strict:
        return claim
    if claim == NOT_APPLICABLE:   # a judge who finds it does apply after all scores it low
        return {"yesno": False, "scale": 0, "number": 0, "choice": []}.get(indicator.type, claim)
    if indicator.type == "yesno":
        return False
    if indicator.type == "scale":
        return max(0, claim - 1)
    if indicator.type == "number":
        return int(claim * 0.7) if isinstance(claim, int) else round(claim * 0.7, 1)
    if indicator.type == "choice":
        return claim[:-1]
    return claim


def verify(session, rubric, assignments, subs, rnd: random.Random, day) -> dict[tuple[str, str], list]:
    """Every assigned judge verifies every scored indicator; returns the verified values
    per (unit, indicator) in the order they were written."""
    strictness = {}
    rows, verified = [], {}
    scored = [ind for ind in rubric.indicators if ind.scored]
    for a in assignments:
        strict = strictness.setdefault(a.judge_id, rnd.uniform(0.12, 0.3))
        claims = subs[a.unit_code].answers
        assignment_id, unit_code, at = a.id, a.unit_code, a.completed_at
        for ind in scored:
            claim = claims.get(ind.id)
            value = judged(ind, claim, rnd, strict)
            comment = rnd.choice(COMMENTS) if value != claim or rnd.random() < 0.03 else ""
            rows.append({"assignment_id": assignment_id, "indicator_id": ind.id,
                         "value": wrap(value), "comment": comment, "updated_at": at})
            verified.setdefault((unit_code, ind.id), []).append(value)
    insert_rows(session, Verification, rows)
    return verified


def moderate(session, period, rubric, verified, users, day) -> int:
    """Resolve every disagreement beyond the threshold (0.5), as the bureau's plenary does
    before a final ranking: the first twelve moderated with the higher value, the others
    accepted as they stand, each with its reason (so the season passes its own gates)."""
    threshold = Fraction(str(setting(period, "disagreement_threshold")))
    rows, accepted = [], []
    categories = dict(session.execute(select(WorkUnit.code, WorkUnit.level)).all())
    for (unit, ind_id), given in sorted(verified.items()):
        if len(given) != 2 or given[0] == given[1]:
            continue   # equal values cannot disagree: no fraction to compute
        ind = rubric.indicator(ind_id)
        fractions = [answer_fraction(ind, v, categories.get(unit)) for v in given]
        if None in fractions:
            continue   # "tidak-berlaku" has no fraction (as in moderation's flags)
        if abs(fractions[0] - fractions[1]) <= threshold:
            continue
        if len(rows) < 12:
            best = given[fractions.index(max(fractions))]
            rows.append({"period_id": period.id, "unit_code": unit, "indicator_id": ind_id,
                         "value": wrap(best), "source": "disagreement", "created_by": users["admin"],
                         "created_at": day(346, 14),
                         "reason": "Rapat pleno penilai: bukti mendukung nilai yang lebih tinggi."})
        else:
            accepted.append({"period_id": period.id, "unit_code": unit, "indicator_id": ind_id,
                             "values": {}, "created_by": users["admin"], "created_at": day(346, 15),
                             "reason": "Rapat pleno penilai: kedua nilai sesuai bukti masing-masing "
                                       "penilai; diterima apa adanya."})
    insert_rows(session, Moderation, rows)
    insert_rows(session, DisagreementAcceptance, accepted)
    return len(rows)


def present(session, period, run, shortlist, judges, rnd: random.Random, day) -> None:
    """Three judges without a conflict score each shortlisted unit's presentation."""
    units = {u.code: u for u in session.scalars(select(WorkUnit).where(WorkUnit.code.in_(list(shortlist))))}
    totals = {row["unit"]: row["stages"]["verifikasi"] for row in run_result(run)["ranking"]}
    rows = []
    for code in sorted(shortlist):
        panel = [j for j in judges if not judge_conflict(j, units[code], period)][:3]
        for judge in panel:
            mark = min(99.0, max(55.0, totals[code] + rnd.gauss(0, 4)))
            rows.append({"period_id": period.id, "unit_code": code, "stage_id": "presentasi",
                         "judge_id": judge.id, "score": f"{mark:.2f}", "updated_at": day(338, 13),
                         "notes": "Paparan runtut; strategi komunikasi tahapan pemilu jelas."})
    insert_rows(session, StageScore, rows)


def object_and_review(session, period, rubric, subs, judges, assignments, users, rnd, day) -> int:
    """Four objections from regency units: the first accepted with a new value, the rest rejected."""
    scored_by: dict[str, set[int]] = {}
    for a in assignments:
        scored_by.setdefault(a.unit_code, set()).add(a.judge_id)
    units = session.scalars(select(WorkUnit).where(WorkUnit.level == "kabkota",
                                                   WorkUnit.code.in_(list(subs)))
                            .order_by(WorkUnit.code)).all()
    chosen = rnd.sample(units, 4)
    indicator = next(i for i in rubric.indicators if i.type == "scale")
    for n, unit in enumerate(chosen):
        reviewer = next(j for j in judges if j.id not in scored_by[unit.code]
                        and not judge_conflict(j, unit, period))
        claim = subs[unit.code].answers.get(indicator.id)
        objection = Objection(
            period_id=period.id, unit_code=unit.code, indicator_id=indicator.id,
            reason="Dokumen SK tim kehumasan sudah ditetapkan sebelum batas waktu; terlampir.",
            evidence_url=f"https://drive.google.com/file/d/demo-sanggah-{unit.code}/view",
            created_by=users.get(f"op-{unit.code}"), created_at=day(334, 11),
            reviewer_id=reviewer.id, decided_at=day(330, 15))
        if n == 0:
            objection.status, objection.new_value = "accepted", wrap(claim)
            objection.decision_reason = "Bukti baru sah dan bertanggal sebelum batas waktu."
        else:
            objection.status = "rejected"
            objection.decision_reason = "Bukti baru tidak mengubah penilaian: dokumen tidak ditandatangani."
        session.add(objection)
        session.flush()
        if n == 0:
            session.add(Moderation(period_id=period.id, unit_code=unit.code, indicator_id=indicator.id,
                                   value=wrap(claim), reason=objection.decision_reason,
                                   source="objection", objection_id=objection.id,
                                   created_by=reviewer.id, created_at=objection.decided_at))
    session.flush()
    return len(chosen)


def good_practice(session, period, rubric, final, day) -> int:
    """The three best-ranked units with full marks on an indicator, for every indicator
    whose evidence the bureau showcases (evidence required)."""
    _rubric, result = scored_run(final)
    evidenced = set(map(tuple, session.execute(
        select(Submission.unit_code, Evidence.indicator_id)
        .join(Evidence, Evidence.submission_id == Submission.id)
        .where(Submission.period_id == period.id))))
    rows = []
    for ind in rubric.indicators:
        if not ind.scored or ind.evidence != "required":
            continue
        # only answers the judges verified at full marks, with their evidence
        best = list(islice((row.unit.code for row in result.ranking
                            if row.indicators and getattr(row.indicators.get(ind.id), "verified", None) == 1
                            and (row.unit.code, ind.id) in evidenced), 3))
        rows += [{"period_id": period.id, "indicator_id": ind.id, "unit_code": code,
                  "published_at": day(320, 10)} for code in best]
    insert_rows(session, GoodPractice, rows)
    return len(rows)


def _audit(session, period, day, assigned, moderated, shortlisted, objections) -> None:
    steps = [("assignment.auto", 369, {"assignments": assigned}),
             ("moderation.record", 346, {"count": moderated}),
             ("run.provisional", 342, {"shortlisted": shortlisted}),
             ("objection.decide", 330, {"count": objections}),
             ("run.final", 325, {}), ("run.publish", 322, {}), ("practice.publish", 320, {})]
    insert_rows(session, AuditLog, [{"at": day(n, 10), "action": action, "object_type": "Period",
                                     "object_id": str(period.id), "period_id": period.id,
                                     "detail": dict(detail, demo=True)}
                                    for action, n, detail in steps])
