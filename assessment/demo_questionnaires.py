"""Synthetic questionnaires for the demo's periods, and what assessment.demo and
assessment.demo_season share (the seed, the judges, bulk inserts): a module of its own so
that neither demo module imports the other back.

Answers come from scoring.synthetic; rows are written in bulk (one executemany per table).
"""
from __future__ import annotations

import random
import string
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from flask_babel import force_locale
from sqlalchemy import insert, select

from scoring import AnswerError
from scoring.synthetic import answer_for

from .models import AuditLog, Evidence, Period, Submission, SubmissionSnapshot, WorkUnit
from .models.types import UTCDateTime
from .models.units import existing_on, opening_day
from .operations.answers import parse_typed
from .operations.submission import evidence_list
from .rubric_store import rubric_by_id

SEED = 2025
# (username, name, unit the judge is seconded from)
JUDGES = [("penilai1", "Dra. Retno Wulandari, M.Si.", "00"),
          ("penilai2", "Agus Setiawan, S.Sos., M.I.Kom.", "00"),
          ("penilai3", "Dian Puspitasari, S.I.P.", "33"),
          ("penilai4", "Muhammad Rizki Pratama, S.H.", "00"),
          ("penilai5", "Yohanes Situmorang, S.Kom.", "00"),
          ("penilai6", "Nur Aisyah Lubis, S.Sos.", "00")]
FIRST_NAMES = {"1": ["Ahmad", "Budi", "Hendra", "Joko", "Rahmat", "Yusuf", "Fajar", "Dedi",
                     "Made", "Andi", "Imam", "Teguh", "Bambang", "Arif", "Syahrul", "Wayan"],
               "2": ["Siti", "Dewi", "Rina", "Fitri", "Sri", "Nurul", "Ratna", "Ayu", "Lestari",
                     "Yuliana", "Kartika", "Maria", "Wulan", "Indah", "Putri", "Endang"]}
LAST_NAMES = ["Santoso", "Wibowo", "Hidayat", "Saputra", "Nasution", "Harahap", "Simanjuntak",
              "Pratama", "Kurniawan", "Rahmawati", "Setiawati", "Siregar", "Sembiring", "Lubis",
              "Hasibuan", "Tanjung", "Wijaya", "Gunawan", "Suryani", "Mahendra", "Pangaribuan",
              "Rumbiak", "Latuconsina", "Mandagi", "Daeng Massiki", "Manurung", "Nugroho"]
PROVINCE_HOSTS = {"11": "aceh", "12": "sumut", "13": "sumbar", "14": "riau", "15": "jambi",
                  "16": "sumsel", "17": "bengkulu", "18": "lampung", "19": "babel", "21": "kepri",
                  "31": "jakarta", "32": "jabar", "33": "jateng", "34": "diy", "35": "jatim",
                  "36": "banten", "51": "bali", "52": "ntb", "53": "ntt", "61": "kalbar",
                  "62": "kalteng", "63": "kalsel", "64": "kaltim", "65": "kaltara", "71": "sulut",
                  "72": "sulteng", "73": "sulsel", "74": "sultra", "75": "gorontalo",
                  "76": "sulbar", "81": "maluku", "82": "malut", "91": "papua", "92": "papuabarat"}
DRIVE_CHARS = string.ascii_letters + string.digits + "-_"
PENDING_RAW = ["sekitar 12", "10-15", "tiga", "± 20", "belum tahu"]


def insert_rows(session, model, rows: list[dict]) -> None:
    """One executemany INSERT into the model's table (the table, not the ORM: the ORM
    would also reset a submission's optimistic-lock version to 1).

    On SQLite (the demo's database) the rows go to the driver's executemany as tuples whose
    values went through each column's own bind processor, and the columns' Python defaults
    fill what the rows leave out, as SQLAlchemy's insert would: the same values stored,
    without SQLAlchemy building a parameter set row by row (some 190,000 rows, a second
    and a half of the demo's start). Elsewhere SQLAlchemy's insert, whose batched VALUES
    already suit PostgreSQL."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite" or not _driver_insert(connection, model.__table__, rows):
        session.execute(insert(model.__table__), rows)


def _driver_insert(connection, table, rows: list[dict]) -> bool:
    """The SQLite executemany of insert_rows; False (nothing written) when a row's keys
    differ from the first's or a left-out column's default is not a plain value or
    function (SQLAlchemy's insert handles those)."""
    dialect = connection.dialect
    keys = list(rows[0])
    if any(len(row) != len(keys) for row in rows):
        return False
    defaults = [column for column in table.columns
                if column.key not in rows[0] and column.default is not None]
    if any(not (column.default.is_scalar or column.default.is_callable) for column in defaults):
        return False
    names, values = [], []
    try:
        for key in keys:
            column = table.c[key]
            names.append(column)
            values.append(_bound(column, [row[key] for row in rows], dialect))
    except KeyError:   # a row without one of the first row's keys
        return False
    for column in defaults:
        default = column.default
        given = ([default.arg] * len(rows) if default.is_scalar
                 else [default.arg(None) for _ in rows])   # called per row, as SQLAlchemy does
        names.append(column)
        values.append(_bound(column, given, dialect))
    quote = dialect.identifier_preparer
    sql = (f"INSERT INTO {quote.format_table(table)} "
           f"({', '.join(quote.format_column(column) for column in names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    connection.exec_driver_sql(sql, list(zip(*values)))
    return True


def _bound(column, given: list, dialect) -> list:
    """A column's values as its type's bind processor hands them to the driver. Equal
    UTCDateTime values give equal text (they are turned to UTC first), so each distinct
    moment is formatted once (a questionnaire's evidence and verified values share theirs)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return given
    if isinstance(column.type, UTCDateTime):
        formatted = {value: process(value) for value in set(given)}
        return [formatted[value] for value in given]
    return list(map(process, given))


# -- synthetic questionnaires ----------------------------------------------------------------

def fill_period(session, period: Period, users: dict[str, int], rnd: random.Random, now: datetime,
                mix: tuple[float, float], strong: dict[str, float] | None = None,
                absent: frozenset = frozenset()) -> dict[str, int]:
    """Write questionnaires for the period's units: a share ``mix[0]`` submitted, ``mix[1]``
    in draft, the rest not started; ``strong`` units ({code: maturity}) submit at that maturity."""
    strong = strong or {}
    rubric = rubric_by_id(period.rubric_id)
    units = session.scalars(select(WorkUnit).where(WorkUnit.active.is_(True),
                                                   WorkUnit.level.in_(period.levels),
                                                   existing_on(opening_day(period.opens_at)))
                            .order_by(WorkUnit.code)).all()
    rows, plans = [], {}
    counts = {"submitted": 0, "draft": 0, "not_started": 0}
    for unit in units:
        draw = rnd.random()
        kind = ("not_started" if unit.code in absent else
                "submitted" if unit.code in strong or draw < mix[0] else
                "draft" if draw < mix[0] + mix[1] else "not_started")
        counts[kind] += 1
        if kind == "not_started":
            continue
        level = strong[unit.code] if unit.code in strong else rnd.betavariate(4, 2.2)
        plan = questionnaire(rubric, unit, level, kind == "submitted", rnd)
        plan["operator"] = users.get(f"op-{unit.code}")
        plan["at"] = period.opens_at + (now - period.opens_at) * rnd.uniform(0.2, 0.98)
        plan["version"] = rnd.randint(2, 9)  # a few saves before
        plans[unit.code] = plan
        rows.append(submission_row(period, unit, plan, rnd))
    insert_rows(session, Submission, rows)
    ids = dict(session.execute(select(Submission.unit_code, Submission.id)
                               .where(Submission.period_id == period.id)).all())
    write_evidence_and_history(session, period, ids, plans)
    return counts


def questionnaire(rubric, unit: WorkUnit, level: float, complete: bool, rnd: random.Random) -> dict:
    """Answers, pending values and evidence links for one unit."""
    indicators = list(rubric.indicators)
    answered = indicators if complete else indicators[:rnd.randint(3, len(indicators) - 3)]
    answers = {}
    for ind in answered:
        value = answer_for(ind, level, rnd, unit.level)   # the unit's bands and the bounds
        if complete and ind.type == "choice" and not value:
            value = [ind.options[0]]  # a submitted unit names at least one
        answers[ind.id] = value
    pending = {}
    numbers = [i for i in answered if i.type == "number"]
    if not complete and numbers and rnd.random() < 0.3:
        ind, raw = rnd.choice(numbers), rnd.choice(PENDING_RAW)
        answers.pop(ind.id)
        pending[ind.id] = {"raw": raw, "error": _error(ind, raw)}
    needs = [i for i in answered if i.evidence == "required" and i.id in answers]
    share = 1.0 if complete else rnd.uniform(0.2, 0.8)
    links = {i.id: evidence_link(unit, i, rnd) for i in needs if complete or rnd.random() < share}
    optional = [i for i in answered if i.evidence == "optional" and i.id in answers]
    links.update({i.id: evidence_link(unit, i, rnd) for i in optional if rnd.random() < 0.4})
    return {"answers": answers, "pending": pending, "links": links, "complete": complete}


def _error(indicator, raw: str) -> str:
    try:
        with force_locale("id"):  # no request here; the default interface language
            parse_typed(indicator, raw)
    except AnswerError as exc:
        return str(exc)
    raise ValueError(f"demo: {raw!r} is a valid answer to {indicator.id}")


def submission_row(period: Period, unit: WorkUnit, plan: dict, rnd: random.Random) -> dict:
    row = {"period_id": period.id, "unit_code": unit.code, "answers": plan["answers"],
           "pending": plan["pending"], "version": plan["version"], "updated_at": plan["at"],
           "updated_by": plan["operator"], "status": "draft", "submitted_at": None,
           "submitted_by": None, "head_name": "", "head_position": "", "head_nip": ""}
    if plan["complete"]:
        row.update(status="submitted", submitted_at=plan["at"], submitted_by=plan["operator"],
                   head_name=person_name(rnd)[0], head_position=f"Ketua {unit.name}",
                   head_nip=nip(rnd))
    return row


def write_evidence_and_history(session, period: Period, ids: dict[str, int], plans: dict) -> None:
    """Evidence links, the snapshot taken at submission, and the audit entries."""
    evidence, entries = [], []
    for code, plan in plans.items():
        sub_id, who, at = ids[code], plan["operator"], plan["at"]
        evidence += [link_row(sub_id, ind, url, at, who) for ind, url in plan["links"].items()]
        action = "submission.submit" if plan["complete"] else "submission.save"
        entries.append({"at": at, "user_id": who, "action": action, "object_type": "Submission",
                        "object_id": str(sub_id), "period_id": period.id, "unit_code": code,
                        "detail": {"demo": True, "version": plan["version"],
                                   "answered": len(plan["answers"])}})
    for row, evidence_id in zip(evidence, inserted_ids(session, Evidence, evidence), strict=True):
        row["id"] = evidence_id
    insert_rows(session, AuditLog, entries)
    submitted = {ids[code]: plan for code, plan in plans.items() if plan["complete"]}
    insert_rows(session, SubmissionSnapshot, snapshots(submitted, evidence))


def link_row(sub_id: int, indicator_id: str, url: str, at: datetime, who: int | None) -> dict:
    """An evidence link with every column given, so the row written is the row kept for
    the snapshot (nothing has to be read back)."""
    return {"submission_id": sub_id, "indicator_id": indicator_id, "kind": "link", "url": url,
            "filename": "", "stored_name": "", "content_type": "", "size": 0, "sha256": "",
            "created_at": at, "created_by": who}


def inserted_ids(session, model, rows: list[dict]) -> list[int]:
    """Insert the rows in bulk (like insert_rows) and return their ids in the rows' order:
    one executemany assigns ascending ids, so the new rows' ids sorted are in that order
    (reading back the ids alone is cheaper than RETURNING them row by row)."""
    if not rows:
        return []
    insert_rows(session, model, rows)
    owners = sorted({row["submission_id"] for row in rows})
    return list(session.scalars(select(model.id).where(model.submission_id.in_(owners))
                                .order_by(model.id)))


def snapshots(submitted: dict[int, dict], evidence: list[dict]) -> list[dict]:
    """The snapshot each submission would have got from operations.questionnaire.submit."""
    by_sub: dict[int, list] = {}
    for row in evidence:   # in id order, as a submission lists its evidence
        by_sub.setdefault(row["submission_id"], []).append(SimpleNamespace(**row))
    return [{"submission_id": sub_id, "kind": "submit", "version": plan["version"],
             "answers": plan["answers"], "created_at": plan["at"], "created_by": plan["operator"],
             # the same plain form as a real submission's snapshot
             "evidence": evidence_list(SimpleNamespace(evidence=by_sub.get(sub_id, [])))}
            for sub_id, plan in submitted.items()]


def evidence_link(unit: WorkUnit, indicator, rnd: random.Random) -> str:
    """A plausible link to a unit's own site, social account or shared folder."""
    host, handle = unit_host(unit.code, unit.name, unit.level)
    if indicator.id in ("kanal-aktif", "unggahan-mingguan", "konsistensi-mingguan",
                        "tingkat-interaksi", "respons-warganet"):
        return f"https://www.instagram.com/{handle}/"
    if indicator.id in ("produksi-video", "program-podcast", "format-konten"):
        return f"https://www.youtube.com/@{handle.replace('_', '')}"
    if rnd.random() < 0.35:
        folder = "".join(rnd.choices(DRIVE_CHARS, k=32))
        return f"https://drive.google.com/drive/folders/1{folder}"
    return f"https://{host}/bakohumas/2025/{indicator.id}"


@lru_cache(maxsize=1024)
def unit_host(code: str, name: str, level: str) -> tuple[str, str]:
    """The unit's web host and social-media handle, e.g. jateng.kpu.go.id and kpu_jateng."""
    if level == "provinsi":
        slug = PROVINCE_HOSTS.get(code) or _slug(name.split("Provinsi")[-1])
        return f"{slug}.kpu.go.id", f"kpu_{slug}"
    slug = _slug(name.split(" ", 1)[1])  # without "KPU"/"KIP"
    return f"kpu-{slug}.go.id", f"kpu_{slug.replace('-', '')}"


def _slug(text: str) -> str:
    return "-".join("".join(c for c in word if c.isalnum()) for word in text.lower().split())


def person_name(rnd: random.Random) -> tuple[str, str]:
    """A plausible Indonesian name and the gender digit used in a NIP (1 male, 2 female)."""
    gender = rnd.choice("12")
    return f"{rnd.choice(FIRST_NAMES[gender])} {rnd.choice(LAST_NAMES)}", gender


def nip(rnd: random.Random) -> str:
    """An 18-digit civil-servant number: birth date, appointment month, gender, sequence."""
    born = datetime(rnd.randint(1966, 1990), rnd.randint(1, 12), rnd.randint(1, 28))
    appointed = (min(born.year + rnd.randint(23, 30), 2021), rnd.randint(1, 12))
    return (f"{born:%Y%m%d}{appointed[0]}{appointed[1]:02d}{rnd.choice('12')}"
            f"{rnd.randint(1, 15):03d}")
