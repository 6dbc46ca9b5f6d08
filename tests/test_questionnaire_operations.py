"""Questionnaire operations: saving with kept invalid values, optimistic locking, deadlines,
completeness, submission and the self-score."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy.orm import Session

from assessment.models import AuditLog, Evidence, Submission, SubmissionSnapshot, User
from assessment.models.types import utcnow
from assessment.operations import Closed, Conflict, Invalid, NotAllowed
from assessment.operations import questionnaire as q
from assessment.operations import answers as qa
from assessment.operations import submission as qs
from scoring.answers import MAX_TEXT
from assessment.operations.periods import extend_deadline
from assessment.rubric_store import rubric_for
from scoring import AnswerError

NIP = "197001011995031001"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted as their English msgids: outside a request, operations speak
    the default interface language (Indonesian), so these tests pin English like the CLI."""
    with force_locale("en"):
        yield


# ---- helpers shared with the view and evidence tests --------------------------------------

def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def office_bytes(kind: str = "docx", main_type: str | None = None) -> bytes:
    """A minimal Office Open XML package with the right [Content_Types].xml."""
    parts = {"docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
             "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
             "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml")}
    part, suffix = parts[kind]
    content_type = main_type or f"application/vnd.openxmlformats-officedocument.{suffix}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')
        z.writestr(part, '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def zero_answers(rubric) -> dict:
    """Every scored indicator answered so that it earns nothing (no evidence needed)."""
    first = {"yesno": False, "scale": 0, "number": 0, "choice": []}
    return {ind.id: first[ind.type] for ind in rubric.indicators if ind.scored}


def operator_period(make_user, make_period, username="op-33", unit_code="33", **period):
    user = make_user(username=username, unit_code=unit_code)
    return user, make_period(**period)


def new_sub(session, period, user):
    sub = q.get_or_create_submission(session, period, user.unit_code, user)
    session.commit()
    return sub


# ---- creating and saving -----------------------------------------------------------------

def test_created_as_draft_at_version_1_and_audited(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    assert q.get_submission(session, period, "33") is None
    sub = new_sub(session, period, user)
    assert (sub.status, sub.version, sub.answers, sub.pending) == ("draft", 1, {}, {})
    assert q.get_or_create_submission(session, period, "33", user).id == sub.id
    assert session.query(AuditLog).filter_by(action="submission.create").count() == 1


def test_a_unit_outside_the_periods_levels_takes_no_part(session, make_user, make_period):
    user, period = operator_period(make_user, make_period, levels=["kabkota"])
    with pytest.raises(NotAllowed):
        q.get_or_create_submission(session, period, "33", user)


def test_partial_answers_are_saved_and_reloaded(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    qa.save_answers(session, sub, {"sk-bakohumas": True, "struktur-tim": 3}, {}, 1, user)
    session.commit()
    session.expire_all()
    sub = q.get_submission(session, period, "33")
    assert sub.answers == {"sk-bakohumas": True, "struktur-tim": 3}
    assert sub.version == 2 and sub.updated_by == user.id
    qa.save_answers(session, sub, {"jumlah-personel": 4, "struktur-tim": None}, {}, 2, user)
    session.commit()
    session.expire_all()
    assert q.get_submission(session, period, "33").answers == {"sk-bakohumas": True,
                                                              "jumlah-personel": 4}
    saves = session.query(AuditLog).filter_by(action="submission.save").order_by(AuditLog.id).all()
    assert [s.detail["changed"] for s in saves] == [{"sk-bakohumas": True, "struktur-tim": 3},
                                                    {"jumlah-personel": 4, "struktur-tim": None}]


def test_typed_but_invalid_values_are_kept_in_pending(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    qa.save_answers(session, sub, {"jumlah-personel": 3}, {}, 1, user)
    qa.save_answers(session, sub, {"sk-bakohumas": True, "struktur-tim": 9},
                   {"jumlah-personel": "tiga orang", "siaran-pers": "2,5"}, 2, user)
    session.commit()
    session.expire_all()
    sub = q.get_submission(session, period, "33")
    assert sub.answers == {"sk-bakohumas": True, "siaran-pers": 2.5}
    assert sub.pending["jumlah-personel"]["raw"] == "tiga orang"
    assert "number" in sub.pending["jumlah-personel"]["error"]
    assert sub.pending["struktur-tim"]["raw"] == "9"
    # corrected later: the kept value goes, the answer comes back
    qa.save_answers(session, sub, {}, {"jumlah-personel": "3"}, sub.version, user)
    assert sub.answers["jumlah-personel"] == 3 and "jumlah-personel" not in sub.pending


def test_strict_mode_saves_nothing_and_names_every_invalid_indicator(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    with pytest.raises(Invalid) as refused:
        qa.save_answers(session, sub, {"sk-bakohumas": True, "struktur-tim": 7, "jumlah-personel": -1},
                       {}, 1, user, strict=True)
    assert set(refused.value.details) == {"struktur-tim", "jumlah-personel"}
    session.rollback()
    session.expire_all()
    sub = q.get_submission(session, period, "33")
    assert sub.answers == {} and sub.pending == {} and sub.version == 1


def test_unknown_indicators_are_refused(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    with pytest.raises(Invalid) as refused:
        qa.save_answers(session, sub, {"tidak-ada": True}, {}, 1, user)
    assert "tidak-ada" in refused.value.details


def test_a_stale_save_of_the_same_indicator_is_a_conflict_and_changes_nothing(
        session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    other = make_user(username="op-33b", unit_code="33", name="Rekan Kerja")
    sub = new_sub(session, period, user)
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, other)
    session.commit()
    with pytest.raises(Conflict) as refused:
        qa.save_answers(session, sub, {"sk-bakohumas": False, "jumlah-personel": 3}, {}, 1, user)
    assert "Rekan Kerja" in refused.value.message
    assert refused.value.details == {
        "conflicts": [{"indicator": "sk-bakohumas", "yours": False, "theirs": True}],
        "current_version": 2}
    session.rollback()
    saved = q.get_submission(session, period, "33")
    assert saved.answers == {"sk-bakohumas": True} and saved.version == 2


def test_two_saves_of_different_indicators_from_one_version_are_both_kept(
        session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    other = make_user(username="op-33b", unit_code="33")
    sub = new_sub(session, period, user)
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, other)
    session.commit()
    qa.save_answers(session, sub, {"jumlah-personel": 3}, {}, 1, user)
    session.commit()
    saved = q.get_submission(session, period, "33")
    assert saved.answers == {"sk-bakohumas": True, "jumlah-personel": 3}
    assert saved.version == 3
    assert saved.changed["sk-bakohumas"] == {"version": 2, "by": other.id}
    assert saved.changed["jumlah-personel"] == {"version": 3, "by": user.id}


def test_the_same_value_on_both_sides_is_no_conflict_and_no_write(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    other = make_user(username="op-33b", unit_code="33")
    sub = new_sub(session, period, user)
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, other)
    session.commit()
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
    session.commit()
    saved = q.get_submission(session, period, "33")
    assert saved.version == 2 and saved.changed["sk-bakohumas"]["by"] == other.id


def test_a_later_base_than_the_questionnaire_or_none_is_refused(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    for version in (None, "x", 0, 2):
        with pytest.raises(Invalid):
            qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, version, user)


def test_two_concurrent_saves_of_one_version_give_a_conflict(app, session, make_user, make_period):
    """Both load version 1 and pass the version check; the second flush finds the row
    changed (StaleDataError), which becomes a Conflict."""
    from assessment.extensions import db
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    other = Session(bind=db.engine, expire_on_commit=False)
    try:
        their_sub = other.get(Submission, sub.id)
        their_user = other.get(User, user.id)
        assert their_sub.version == 1
        other.commit()   # the other request's read is over (SQLite: its lock is released)
        qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
        session.commit()
        with pytest.raises(Conflict):
            qa.save_answers(other, their_sub, {"sk-bakohumas": False}, {}, 1, their_user)
    finally:
        other.close()
    session.expire_all()
    assert q.get_submission(session, period, "33").answers == {"sk-bakohumas": True}


# ---- deadlines -----------------------------------------------------------------------------

def test_saving_after_the_deadline_is_refused_until_the_unit_is_given_more_time(
        session, make_user, make_period):
    user, period = operator_period(make_user, make_period, opens=-10, closes=-1)
    sub = new_sub(session, period, user)
    with pytest.raises(Closed) as refused:
        qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
    assert "closed" in refused.value.message
    with pytest.raises(Closed):
        qs.submit(session, sub, 1, "Kepala", "Sekretaris", NIP, True, user)
    session.rollback()
    admin = session.query(User).filter_by(username="admin").one()
    extend_deadline(session, period, utcnow() + timedelta(days=2), "Gangguan jaringan", admin,
                    unit_code="34")
    session.commit()
    with pytest.raises(Closed):   # another unit's extension does not reopen this one
        qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
    session.rollback()
    extend_deadline(session, period, utcnow() + timedelta(days=2), "Gangguan jaringan", admin,
                    unit_code="33")
    session.commit()
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
    assert sub.answers == {"sk-bakohumas": True}


def test_saving_before_the_opening_is_refused(session, make_user, make_period):
    user, period = operator_period(make_user, make_period, opens=1, closes=8)
    sub = new_sub(session, period, user)
    with pytest.raises(Closed) as refused:
        qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
    assert "opens" in refused.value.message


def test_a_returned_questionnaire_can_be_changed_again(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    sub = new_sub(session, period, user)
    sub.status = "returned"
    session.commit()
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, sub.version, user)
    assert sub.status == "returned" and sub.answers == {"sk-bakohumas": True}


# ---- completeness ----------------------------------------------------------------------------

def test_an_empty_questionnaire_misses_every_scored_indicator(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    rubric = rubric_for(period)
    scored = [i.id for i in rubric.indicators if i.scored]
    assert [key for key, _ in qs.missing_items(rubric, None)] == scored
    sub = new_sub(session, period, user)
    assert [key for key, _ in qs.missing_items(rubric, sub)] == scored
    assert all(reason == "not answered" for _, reason in qs.missing_items(rubric, sub))


@pytest.mark.parametrize("indicator, value, needs_evidence", [
    ("sk-bakohumas", True, True),
    ("sk-bakohumas", False, False),
    ("struktur-tim", 1, True),
    ("struktur-tim", 0, False),
    ("jumlah-personel", 1, True),
    ("jumlah-personel", 0, False),
    ("sarana-kehumasan", ["Kamera foto"], True),
    ("sarana-kehumasan", [], False),
])
def test_required_evidence_applies_when_the_answer_earns_something(
        session, make_user, make_period, indicator, value, needs_evidence):
    user, period = operator_period(make_user, make_period)
    rubric = rubric_for(period)
    sub = new_sub(session, period, user)
    answers = zero_answers(rubric)
    answers[indicator] = value
    qa.save_answers(session, sub, answers, {}, 1, user)
    assert qs.missing_items(rubric, sub) == ([(indicator, "required evidence is missing")]
                                            if needs_evidence else [])
    session.add(Evidence(submission_id=sub.id, indicator_id=indicator, kind="link",
                         url="https://kpu.go.id/sk"))
    session.commit()
    session.refresh(sub)
    assert qs.missing_items(rubric, sub) == []


def test_a_kept_invalid_value_blocks_submission(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    rubric = rubric_for(period)
    sub = new_sub(session, period, user)
    answers = zero_answers(rubric)
    del answers["jumlah-personel"]
    qa.save_answers(session, sub, answers, {"jumlah-personel": "lima"}, 1, user)
    [(key, reason)] = qs.missing_items(rubric, sub)
    assert key == "jumlah-personel" and "not valid" in reason


# ---- submission ---------------------------------------------------------------------------

def test_submit_is_refused_with_the_missing_list_then_accepted_and_locked(
        session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    rubric = rubric_for(period)
    sub = new_sub(session, period, user)
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, user)
    session.commit()
    with pytest.raises(Invalid) as refused:
        qs.submit(session, sub, 2, "Dr. Kepala", "Sekretaris", NIP, True, user)
    details = refused.value.details
    assert details["sk-bakohumas"] == "required evidence is missing"
    assert details["struktur-tim"] == "not answered"
    assert len(details) == len([i for i in rubric.indicators if i.scored])
    session.rollback()

    sub = q.get_submission(session, period, "33")
    qa.save_answers(session, sub, zero_answers(rubric), {}, 2, user)
    session.commit()
    with pytest.raises(Invalid) as refused:
        qs.submit(session, sub, 3, "Dr. Kepala", "Sekretaris", "12345", False, user)
    assert set(refused.value.details) == {"head_nip", "agreed"}
    session.rollback()

    sub = q.get_submission(session, period, "33")
    qs.submit(session, sub, 3, " Dr. Kepala ", "Sekretaris", "19700101 199503 1 001", True, user)
    session.commit()
    assert sub.status == "submitted" and sub.submitted_by == user.id and sub.submitted_at
    assert (sub.head_name, sub.head_position, sub.head_nip) == ("Dr. Kepala", "Sekretaris", NIP)
    snapshot = session.query(SubmissionSnapshot).filter_by(submission_id=sub.id).one()
    assert snapshot.kind == "submit" and snapshot.answers == sub.answers
    assert snapshot.version == sub.version == 4 and snapshot.evidence == []
    entry = session.query(AuditLog).filter_by(action="submission.submit").one()
    assert entry.detail["head_nip"] == NIP and entry.unit_code == "33"

    with pytest.raises(Closed) as refused:
        qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 4, user)
    assert "submitted" in refused.value.message and "locked" in refused.value.message
    with pytest.raises(Closed):
        qs.submit(session, sub, 4, "Dr. Kepala", "Sekretaris", NIP, True, user)


def test_the_snapshot_lists_the_evidence(session, make_user, make_period):
    user, period = operator_period(make_user, make_period)
    rubric = rubric_for(period)
    sub = new_sub(session, period, user)
    answers = zero_answers(rubric)
    answers["sk-bakohumas"] = True
    qa.save_answers(session, sub, answers, {}, 1, user)
    session.add(Evidence(submission_id=sub.id, indicator_id="sk-bakohumas", kind="link",
                         url="https://jdih.kpu.go.id/sk"))
    session.commit()
    session.refresh(sub)
    qs.submit(session, sub, 2, "Kepala", "Sekretaris", NIP, True, user)
    snapshot = session.query(SubmissionSnapshot).one()
    assert [(e["indicator"], e["kind"], e["url"]) for e in snapshot.evidence] == [
        ("sk-bakohumas", "link", "https://jdih.kpu.go.id/sk")]


# ---- typed text and the self-score -----------------------------------------------------------

@pytest.mark.parametrize("indicator, raw, value", [
    ("siaran-pers", "2,5", 2.5),
    ("siaran-pers", "2.5", 2.5),
    ("jumlah-personel", " 12 ", 12),
    ("jumlah-personel", "1.250", 1250),
    ("siaran-pers", "1.250,5", 1250.5),
    ("jumlah-personel", "", None),
    ("sk-bakohumas", "Ya", True),
    ("sk-bakohumas", "tidak", False),
    ("struktur-tim", "3", 3),
    ("struktur-tim", "terstandar", 3),
    ("sarana-kehumasan", "Kamera foto; Mikrofon dan perangkat audio",
     ["Kamera foto", "Mikrofon dan perangkat audio"]),
    ("sarana-kehumasan", "Kamera foto\nKamera foto", ["Kamera foto"]),
    ("sarana-kehumasan", "-", []),
    ("kendala-dukungan", "  Kurang personel  ", "Kurang personel"),
])
def test_parse_raw_reads_what_people_type(app, indicator, raw, value):
    from assessment.rubric_store import rubric_by_id
    ind = rubric_by_id("bakohumas-2025").indicator(indicator)
    assert qa.parse_typed(ind, raw) == value


@pytest.mark.parametrize("indicator, raw", [
    ("jumlah-personel", "-1"), ("jumlah-personel", "dua"), ("jumlah-personel", "1,2,3"),
    ("jumlah-personel", "1" * 20), ("jumlah-personel", "2,5"), ("pranata-humas", "1.5"),
    ("sk-bakohumas", "mungkin"), ("struktur-tim", "5"),
    ("struktur-tim", "Luar biasa"), ("sarana-kehumasan", "Drone"),
    ("sarana-kehumasan", "-; Kamera foto"), ("kendala-dukungan", "x" * (MAX_TEXT + 1)),
])
def test_parse_raw_refuses_what_is_not_an_answer(app, indicator, raw):
    from assessment.rubric_store import rubric_by_id
    ind = rubric_by_id("bakohumas-2025").indicator(indicator)
    with pytest.raises(AnswerError):
        qa.parse_typed(ind, raw)


def test_self_scores_come_from_scoring(session, make_user, make_period):
    from decimal import Decimal

    from scoring import Assessment, Response, Unit, round2, score
    user, period = operator_period(make_user, make_period)
    rubric = rubric_for(period)
    assert q.self_scores(rubric, None)["total"] == Decimal("0.00")
    sub = new_sub(session, period, user)
    answers = {ind.id: v for ind, v in zip(rubric.aspect("kelembagaan").indicators,
                                           (True, 3, ["Kamera foto", "Rumah Pintar Pemilu"]))}
    qa.save_answers(session, sub, answers, {"jumlah-personel": "2"}, 1, user)
    result = score(rubric, Assessment(rubric.id, (Unit("33", "x", "provinsi"),),
                                      (Response("33", dict(sub.answers)),)))
    got = q.self_scores(rubric, sub)
    assert got["total"] == round2(result.ranking[0].self_total) > 0
    assert got["aspects"]["kelembagaan"] == round2(result.ranking[0].self_aspects["kelembagaan"])
    assert got["aspects"]["perencanaan"] == Decimal("0.00")
