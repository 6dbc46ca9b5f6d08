"""Issue 18: an archived period is read-only everywhere, also for the season's decisions:
moderated values, unit exclusions and disagreement acceptances are refused (Closed) by the
operations themselves, so the pages (and the API, which calls the same operations) refuse
them, and nothing is written; after unarchiving, the same calls succeed."""
from __future__ import annotations

import pytest

from assessment.models import DisagreementAcceptance, Moderation, UnitExclusion
from assessment.operations import Closed
from assessment.operations import periods as period_ops
from assessment.operations import season
from assessment.operations.moderation import moderate
from tests.conftest import SLUG, english
from tests.test_moderation import add_submission, judged, verify  # noqa: F401  (fixture)

DECISIONS = {
    "moderation": (Moderation, lambda s, p, admin: moderate(
        s, p, "33", "sk-bakohumas", "ya", "Lampiran SK lengkap.", admin)),
    "exclusion": (UnitExclusion, lambda s, p, admin: season.exclude_unit(
        s, p, "11", "Bukti tidak dapat dibuka.", admin)),
    "acceptance": (DisagreementAcceptance, lambda s, p, admin: season.accept_disagreement(
        s, p, "33", "sk-bakohumas", "Perbedaan wajar.", admin)),
}


@pytest.mark.parametrize("name", DECISIONS)
def test_decisions_are_refused_in_an_archived_period_and_allowed_again_after(session, judged,
                                                                             name):
    period, admin, _a, _b = judged
    model, decide = DECISIONS[name]
    period_ops.archive_period(session, period, "Arsip musim lalu", admin)
    session.flush()
    with pytest.raises(Closed, match="archived|diarsipkan"):
        decide(session, period, admin)
    assert session.query(model).count() == 0
    period_ops.unarchive_period(session, period, "Keliru diarsipkan", admin)
    session.flush()
    decide(session, period, admin)
    assert session.query(model).count() == 1


@pytest.mark.parametrize("url, data, model", [
    (f"/admin/moderation/{SLUG}/perbedaan/33/sk-bakohumas",
     {"value": "ya", "reason": "Lampiran SK lengkap."}, Moderation),
    (f"/admin/periode/{SLUG}/tahapan/pengecualian",
     {"target": "11", "reason": "Bukti tidak dapat dibuka."}, UnitExclusion),
    (f"/admin/periode/{SLUG}/tahapan/perbedaan",
     {"target": "33|sk-bakohumas", "reason": "Perbedaan wajar."}, DisagreementAcceptance),
])
def test_the_pages_refuse_them_in_an_archived_period(client, auth, session, judged, url, data,
                                                     model):
    period, admin, _a, _b = judged
    period_ops.archive_period(session, period, "Arsip musim lalu", admin)
    session.commit()
    auth.login("kepala-biro")
    english(client)
    response = client.post(url, data=data, follow_redirects=True)
    assert "is archived; it can be read but no longer changed" in response.get_data(as_text=True)
    assert session.query(model).count() == 0
