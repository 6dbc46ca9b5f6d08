"""Issue 13, "an invalid link is kept and marked like any invalid value": a link refused as
not valid is stored (``Submission.pending_links``, beside the invalid answers in
``pending``), so it survives a reload in its field with its reason, is marked "Not valid
yet", blocks submission, and goes when a valid link replaces it or its field is emptied."""
from __future__ import annotations

import re

from openapi_schema_validator import OAS31Validator

from assessment.api.openapi import document
from assessment.completeness import indicator_marks
from assessment.operations.submission import missing_items
from assessment.operations.tokens import create_token
from assessment.rubric_store import rubric_for
from tests.conftest import SLUG, sub_of
from tests.test_questionnaire_views import ASPECT, html, opened, post, save


def link_field(page: str) -> str:
    return re.search(r'<input[^>]*name="link-sk-bakohumas"[^>]*>', page).group(0)


def test_an_invalid_link_is_stored_survives_a_reload_and_blocks_submission(client, session,
                                                                           operator):
    response = save(client, 1, answer_sk_bakohumas="ya", link_sk_bakohumas="ftp://kpu.go.id/sk")
    assert response.status_code == 422
    sub = sub_of(session)
    assert sub.answers == {"sk-bakohumas": True} and sub.evidence == []
    assert sub.pending_links["sk-bakohumas"]["raw"] == "ftp://kpu.go.id/sk"
    assert sub.version == 2                     # one save, one version
    # a reload shows it again in its field, with its reason, and the mark
    page = html(client.get(ASPECT))
    assert 'value="ftp://kpu.go.id/sk"' in link_field(page) and "is-invalid" in link_field(page)
    assert re.search(r'id="le-sk-bakohumas">ftp://kpu.go.id/sk: Only links', page)
    assert re.search(r'data-fragment="mark-sk-bakohumas">\s*<span[^>]*data-mark="invalid"', page)
    rubric = rubric_for(operator[1])
    assert indicator_marks(rubric, sub)["sk-bakohumas"]["kind"] == "invalid"
    assert dict(missing_items(rubric, sub))["sk-bakohumas"].startswith(
        "the evidence link typed is not valid: Only links")
    # submitting is refused while it is there
    refused = client.post(f"/kuesioner/{SLUG}/kirim", data={
        "version": "2", "head_name": "Kepala", "head_position": "Ketua",
        "head_nip": "198001012005011001", "agreed": "y"})
    assert refused.status_code == 422 and sub_of(session).status == "draft"


def test_a_valid_link_replaces_it_and_an_emptied_field_forgets_it(client, session, operator):
    save(client, 1, answer_sk_bakohumas="ya", link_sk_bakohumas="ftp://kpu.go.id/sk")
    # saving the page again as shown (the invalid link still in its field) keeps it
    state = opened(client)
    assert post(client, state, **{"link-sk-bakohumas": "ftp://kpu.go.id/sk"}).status_code == 422
    assert sub_of(session).pending_links == {"sk-bakohumas": {
        "raw": "ftp://kpu.go.id/sk", "error": sub_of(session).pending_links["sk-bakohumas"]["error"]}}
    # corrected: the link is added and the kept one goes
    state = opened(client)
    assert post(client, state, **{"link-sk-bakohumas": "https://kpu.go.id/sk"}).status_code == 302
    sub = sub_of(session)
    assert [ev.url for ev in sub.evidence] == ["https://kpu.go.id/sk"] and not sub.pending_links
    # another invalid one, then the field emptied: forgotten, nothing added
    post(client, opened(client), **{"link-sk-bakohumas": "kpu dot go dot id"})
    assert "sk-bakohumas" in sub_of(session).pending_links
    state = opened(client)
    assert post(client, state, **{"link-sk-bakohumas": ""}).status_code == 302
    sub = sub_of(session)
    assert not sub.pending_links and len(sub.evidence) == 1
    assert 'value="kpu dot go dot id"' not in link_field(html(client.get(ASPECT)))


def test_an_autosave_leaves_the_kept_link_alone(client, session, operator):
    save(client, 1, answer_sk_bakohumas="ya", link_sk_bakohumas="ftp://kpu.go.id/sk")
    state = {k: v for k, v in opened(client).items() if v is not None}
    result = client.post(f"{ASPECT}/simpan-otomatis",
                         data=state | {"answer-struktur-tim": "2"}).get_json()
    assert result["saved"] is True
    assert sub_of(session).pending_links["sk-bakohumas"]["raw"] == "ftp://kpu.go.id/sk"
    assert 'data-mark="invalid"' in result["fragments"]["mark-sk-bakohumas"]


def test_the_api_returns_the_kept_links_with_their_reasons(client, session, operator):
    """GET .../submission lists the kept invalid links (``pending_links``) in the shape of
    ``pending``: indicator id -> {"raw", "error"}, the reason the page shows beside the link;
    the served OpenAPI document requires and describes the field."""
    _, secret = create_token(session, operator[0], "test")
    session.commit()
    api = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/periods/{SLUG}/units/33/submission"
    assert client.get(url, headers=api).get_json()["pending_links"] == {}   # not started
    save(client, 1, answer_sk_bakohumas="ya", link_sk_bakohumas="ftp://kpu.go.id/sk")
    body = client.get(url, headers=api).get_json()
    page = html(client.get(ASPECT))
    shown = re.search(r'id="le-sk-bakohumas">ftp://kpu.go.id/sk: ([^<]+)<', page).group(1)
    assert shown.startswith("Only links")
    assert body["pending_links"] == {"sk-bakohumas": {"raw": "ftp://kpu.go.id/sk",
                                                      "error": shown}}
    assert body["pending"] == {} and body["answers"] == {"sk-bakohumas": True}
    assert "sk-bakohumas" in {item["indicator"] for item in body["missing"]}
    served = client.get("/api/v1/openapi.json").get_json()
    schema = served["components"]["schemas"]["Submission"]
    assert "pending_links" in schema["required"]
    assert schema["properties"]["pending_links"]["$ref"] == "#/components/schemas/Pending"
    OAS31Validator({"$ref": "#/components/schemas/Submission",
                    "components": served["components"]}).validate(body)
    assert served["components"] == document()["components"]
    # fixed on the page: gone from the API too
    post(client, opened(client), **{"link-sk-bakohumas": "https://kpu.go.id/sk"})
    assert client.get(url, headers=api).get_json()["pending_links"] == {}


def test_a_save_that_only_keeps_a_refused_link_is_a_new_version_in_the_audit_log(
        client, session, operator):
    """A refused link is something the person typed: keeping it (with no answer changed) is a
    change like an invalid answer's, with its own version and audit entry, not a silent write."""
    from assessment.models.audit import AuditLog
    save(client, 1, answer_sk_bakohumas="ya")
    before = sub_of(session).version
    state = opened(client)
    assert post(client, state, **{"link-sk-bakohumas": "ftp://kpu.go.id/sk"}).status_code == 422
    session.expire_all()
    sub = sub_of(session)
    assert sub.pending_links["sk-bakohumas"]["raw"] == "ftp://kpu.go.id/sk"
    assert sub.version == before + 1
    entry = (session.query(AuditLog).filter_by(action="submission.save")
             .order_by(AuditLog.id.desc()).first())
    assert entry.detail["pending_links"] == ["sk-bakohumas"] and entry.detail["changed"] == {}
