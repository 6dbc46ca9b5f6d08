"""Schemathesis fuzzing of the JSON API against its own OpenAPI document, in process.

Every operation of /api/v1/openapi.json is called with generated requests - valid ones on
real and random paths, and invalid ones (negative mode) - with the bearer token of an
operator, a judge seconded from Jawa Tengah, an independent judge, an administrator, or a
bad token. Each answer must be no server error, must match the documented status codes,
content type and schema, and a refused request (any 4xx) must leave every table as it was.

FUZZ_EXAMPLES (default 60) sets how many requests; e.g. FUZZ_EXAMPLES=3000 for a deep run."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from tests.hostile_support import SLUG, build_season, changed_tables, snapshot, token_headers

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
REAL_UNITS = ["33", "33.74", "11.71", "31.71", "00"]


@pytest.fixture
def fuzz_season(app, session, make_user, make_period):
    season = build_season(session, make_user, make_period)
    users = season["users"]
    season["headers"] = {who: token_headers(session, users[who])
                         for who in ("33.74", "penilai1", "penilai3", "admin", "monitor-11")}
    season["headers"]["bad token"] = {"Authorization": "Bearer bkh_" + "x" * 40}
    season["headers"]["no token"] = {}
    return season


def strategies(schema):
    """For each operation: valid requests on real paths, valid requests on random paths,
    and invalid requests (wrong types, missing fields, extra fields) on real paths."""
    out = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        real = st.fixed_dictionaries({name: st.just(SLUG) if name == "period"
                                      else st.sampled_from(REAL_UNITS) for name in names})
        out.append(real.flatmap(lambda fixed, op=operation: op.as_strategy(path_parameters=fixed)))
        out.append(operation.as_strategy())
        if operation.body or names:
            out.append(real.flatmap(lambda fixed, op=operation: op.as_strategy(
                GenerationMode.NEGATIVE, path_parameters=fixed)))
    return st.one_of(out)


@pytest.mark.slow
def owner_of(case) -> str:
    """The caller who may use the case's path; a unit in the path becomes 33.74."""
    if "code" in (case.path_parameters or {}):
        case.path_parameters["code"] = "33.74"
    if "verifications" in case.path:
        return "penilai1"
    return "33.74" if "submission" in case.path else "admin"


def test_the_api_holds_under_generated_requests(app, session, fuzz_season):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried = {"requests": 0, "refused": 0, "by_status": {}}

    @given(case=strategies(schema), who=st.sampled_from(sorted(fuzz_season["headers"])),
           as_owner=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case, who, as_owner):
        if as_owner:     # half the requests come from whoever may do it, so bodies get read
            who = owner_of(case)
        before = snapshot(session)
        # identity: the in-process (WSGI) transport reads the body as sent and does not undo
        # a Content-Encoding, while it offers br/gzip like requests does; compression of JSON
        # answers is tested in tests/test_performance.py
        response = case.call(headers={**fuzz_season["headers"][who], "Accept-Encoding": "identity"})
        tried["requests"] += 1
        tried["by_status"][response.status_code] = tried["by_status"].get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)
        if 400 <= response.status_code < 500:
            tried["refused"] += 1
            assert changed_tables(before, snapshot(session)) == [], (who, case.method, case.path,
                                                                    response.status_code)

    fuzz()
    print(f"\nfuzz: {tried}")
    if EXAMPLES >= 30:
        assert tried["refused"] > 0 and tried["by_status"].get(200, 0) > 0
