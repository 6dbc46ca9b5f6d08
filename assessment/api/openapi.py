"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json."""
from __future__ import annotations

from copy import deepcopy

from ..version import __version__

MAX_BODY_BYTES = 1024 * 1024


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _body(schema: dict) -> dict:
    """A required JSON request body of this schema."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


DATETIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC (ends in Z)"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
SCORE = {"type": "number", "minimum": 0, "maximum": 100,
         "description": "Rounded to two decimals (half up), as in every report"}

ANSWER_VALUE = {
    "description": "An answer in the exchange format: yesno true/false; scale the 0-based "
                   "level index; number a number of at least 0; choice a list of distinct "
                   "option texts; text a string; null clears the answer.",
    # anyOf, not oneOf: an integer is also a number
    "anyOf": [{"type": "boolean"}, {"type": "integer"}, {"type": "number"},
              {"type": "array", "items": {"type": "string"}}, {"type": "string"},
              {"type": "null"}],
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "message", "details"],
        "properties": {
            "error": {"type": "string", "description": "A stable code for programs",
                      "examples": ["unauthorized", "invalid_token", "forbidden", "not_found",
                                   "method_not_allowed", "bad_request", "malformed_json",
                                   "unsupported_media_type", "too_large", "conflict", "closed",
                                   "invalid", "server_error"]},
            "message": {"type": "string", "description": "An explanation for people"},
            "details": {"description": "Per-field or per-indicator details; null when none",
                        "type": ["object", "array", "null"]},
        },
        "additionalProperties": False,
    },
    "AnswerValue": ANSWER_VALUE,
    "Answers": {
        "type": "object",
        "description": "Answers keyed by indicator id",
        "additionalProperties": _ref("AnswerValue"),
    },
    "Level": {"type": "string", "enum": ["pusat", "provinsi", "kabkota"]},
    "Period": {
        "type": "object",
        "required": ["slug", "title", "rubric_id", "opens_at", "closes_at", "levels", "open"],
        "properties": {
            "slug": {"type": "string", "examples": ["bakohumas-2025"]},
            "title": {"type": "string"},
            "rubric_id": {"type": "string"},
            "opens_at": DATETIME,
            "closes_at": {**DATETIME, "description": "The period's own closing time; a unit's "
                                                     "may be later (see Submission.deadline)"},
            "levels": {"type": "array", "items": _ref("Level")},
            "open": {"type": "boolean", "description": "Open now (before any extension)"},
        },
    },
    "Indicator": {
        "type": "object",
        "required": ["id", "type", "question", "scored", "evidence"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "enum": ["yesno", "scale", "number", "choice", "text"]},
            "question": {"type": "string"},
            "scored": {"type": "boolean"},
            "evidence": {"type": "string", "enum": ["required", "optional", "none"]},
            "levels": {"type": "array", "items": {"type": "string"},
                       "description": "scale: the level labels; the answer is the index"},
            "options": {"type": "array", "items": {"type": "string"},
                        "description": "choice: the options an answer lists"},
            "unit": {"type": ["string", "null"], "description": "number: the unit counted"},
        },
    },
    "Aspect": {
        "type": "object",
        "required": ["id", "title", "weight", "indicators"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "weight": {"type": "number"},
            "indicators": {"type": "array", "items": _ref("Indicator")},
        },
    },
    "PeriodDetail": {
        "allOf": [_ref("Period"), {
            "type": "object",
            "required": ["rubric"],
            "properties": {"rubric": {
                "type": "object",
                "required": ["id", "title", "aspects"],
                "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                               "aspects": {"type": "array", "items": _ref("Aspect")}},
            }},
        }],
    },
    "PeriodList": {
        "type": "object",
        "required": ["periods"],
        "properties": {"periods": {"type": "array", "items": _ref("Period")}},
    },
    "SelfScore": {
        "type": "object",
        "required": ["total", "aspects"],
        "properties": {
            "total": SCORE,
            "aspects": {"type": "object", "additionalProperties": SCORE,
                        "description": "Score per aspect id"},
        },
    },
    "Pending": {
        "type": "object",
        "description": "Values typed in the web form that are not valid answers yet, by indicator id",
        "additionalProperties": {
            "type": "object", "required": ["raw", "error"],
            "properties": {"raw": {"type": "string"}, "error": {"type": "string"}},
        },
    },
    "MissingItem": {
        "type": "object",
        "required": ["indicator", "reason"],
        "properties": {"indicator": {"type": "string"}, "reason": {"type": "string"}},
    },
    "Submission": {
        "type": "object",
        "required": ["period", "unit", "status", "version", "answers", "pending",
                     "pending_links", "self_score", "deadline", "open", "missing"],
        "properties": {
            "period": {"type": "string", "description": "The period's slug"},
            "unit": {
                "type": "object", "required": ["code", "name", "level", "time_zone"],
                "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                               "level": _ref("Level"),
                               "time_zone": {"type": "string", "enum": ["WIB", "WITA", "WIT"]}},
            },
            "status": {"type": "string", "enum": ["not_started", "draft", "submitted", "returned"],
                       "description": "not_started until the first save or submit creates it"},
            "version": {"type": "integer", "minimum": 1,
                        "description": "Send it back with a change (optimistic locking); a "
                                       "questionnaire not started yet is at version 1"},
            "answers": _ref("Answers"),
            "pending": _ref("Pending"),
            "pending_links": {**_ref("Pending"),
                              "description": "Evidence links typed in the web form that are "
                                             "not valid links (raw: the link as typed, error: "
                                             "why), by indicator id; kept until a valid link "
                                             "replaces one or its field is emptied, and each "
                                             "blocks submitting like a missing item"},
            "self_score": _ref("SelfScore"),
            "missing": {"type": "array", "items": _ref("MissingItem"),
                        "description": "What still blocks submitting"},
            "deadline": {**DATETIME, "description": "This unit's closing time, extensions included"},
            "open": {"type": "boolean",
                     "description": "Whether saving and submitting are possible now (open "
                                    "period, deadline not passed, not submitted)"},
            "updated_at": NULLABLE_DATETIME,
            "submitted_at": NULLABLE_DATETIME,
            "head_name": {"type": "string"},
            "head_position": {"type": "string"},
            "head_nip": {"type": "string"},
        },
    },
    "SaveRequest": {
        "type": "object",
        "required": ["answers", "version"],
        "additionalProperties": False,
        "properties": {
            "answers": {**_ref("Answers"),
                        "description": "Only the indicators named change; null clears one"},
            "version": {"type": "integer", "minimum": 0,
                        "description": "The version last read"},
        },
    },
    "SubmitRequest": {
        "type": "object",
        "required": ["version", "head_name", "head_position", "head_nip", "agreed"],
        "additionalProperties": False,
        "properties": {
            "version": {"type": "integer", "minimum": 0},
            "head_name": {"type": "string", "description": "Name of the unit's head"},
            "head_position": {"type": "string"},
            "head_nip": {"type": "string", "description": "NIP (civil-servant number)"},
            "agreed": {"type": "boolean",
                       "description": "The head agrees to the integrity statement (must be "
                                      "true to submit; false is answered with 422)"},
        },
    },
}

SCORE_2 = {"type": "number", "description": "Rounded half up to two decimals"}
SCHEMAS["RankingRow"] = {
    "type": "object",
    "required": ["category", "rank", "unit", "name", "total", "self_total", "predicate",
                 "stage_reached", "stages", "aspects"],
    "properties": {
        "category": {"type": "string", "examples": ["provinsi", "kabkota"]},
        "rank": {"type": ["integer", "null"], "minimum": 1,
                 "description": "Within the category; equal totals share a rank (2, 2, 4). "
                                "null in an unranked category and for a unit that does not "
                                "meet a condition of entry"},
        "unit": {"type": "string", "description": "Work-unit code"},
        "name": {"type": "string"},
        "total": SCORE_2, "self_total": SCORE_2,
        "predicate": {"type": "string"},
        "stage_reached": {"type": "string", "description": "Id of the last stage reached"},
        "stages": {"type": "object", "additionalProperties": SCORE_2},
        "aspects": {"type": "object", "additionalProperties": SCORE_2},
        "entry_unmet": {"type": "array", "items": {"type": "string"},
                        "description": "Only for a unit without a rank because it does not "
                                       "meet these conditions of entry (indicator ids, "
                                       "rubric key entry)"},
    },
}
SCHEMAS["Ranking"] = {
    "type": "object",
    "description": "Exactly the JSON that `python run.py score RUBRIC EXCHANGE --out R.json` "
                   "writes for the published run's rubric and exchange document",
    "required": ["rubric", "ranking", "awards", "not_submitted"],
    "properties": {
        "rubric": {"type": "string", "description": "Rubric edition id"},
        "ranking": {"type": "array", "items": _ref("RankingRow"),
                    "description": "By category, then rank"},
        "awards": {"type": "object", "description": "Rows of each award, by award id",
                   "additionalProperties": {"type": "array", "items": {
                       "type": "object", "required": ["rank", "unit", "name", "score", "winner"],
                       "properties": {"rank": {"type": "integer"}, "unit": {"type": "string"},
                                      "name": {"type": "string"}, "score": {"type": "number"},
                                      "winner": {"type": "boolean"}}}}},
        "not_submitted": {"type": "array", "items": {"type": "string"},
                          "description": "Codes of taking-part units that did not submit"},
    },
}

RESPONSES = {
    "BadRequest": _error("The body is not a JSON object of the documented shape (details name "
                         "the fields), is malformed JSON or is nested too deeply"),
    "Unauthorized": _error("No bearer token, a garbled Authorization header, or a token that is "
                           "unknown, revoked or expired"),
    "Forbidden": _error("The token's account may not do this for that unit"),
    "NotFound": _error("No such period or unit, or the unit does not take part in the period"),
    "UnsupportedMediaType": _error("The body must be sent as application/json"),
    "TooLarge": _error(f"The body is larger than {MAX_BODY_BYTES} bytes"),
}

PERIOD_PARAM = {"name": "period", "in": "path", "required": True, "description": "Period slug",
                "schema": {"type": "string"}}
UNIT_PARAM = {"name": "code", "in": "path", "required": True,
              "description": "Work-unit code (Kemendagri), e.g. 33 or 33.74",
              "schema": {"type": "string"}}


def _common(*extra: str) -> dict:
    names = ("Unauthorized",) + extra
    codes = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "TooLarge": "413", "UnsupportedMediaType": "415"}
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


BODY_ERRORS = ("BadRequest", "TooLarge", "UnsupportedMediaType")
_INVALID_BY_INDICATOR = _error("invalid: details maps each offending indicator id to its problem")

PATHS = {
    "/periods": {"get": {
        "operationId": "listPeriods",
        "summary": "Periods the caller may see",
        "responses": {"200": _json(_ref("PeriodList"), "The periods, newest first"),
                      **_common()},
    }},
    "/periods/{period}": {
        "parameters": [PERIOD_PARAM],
        "get": {
            "operationId": "getPeriod",
            "summary": "A period with its rubric's aspects and indicators",
            "responses": {"200": _json(_ref("PeriodDetail"), "The period"),
                          **_common("NotFound")},
        },
    },
    "/periods/{period}/units/{code}/submission": {
        "parameters": [PERIOD_PARAM, UNIT_PARAM],
        "get": {
            "operationId": "getSubmission",
            "summary": "A unit's questionnaire: answers, status, version and self-score",
            "description": "Allowed for the unit's operator, administrators and the monitor of "
                           "the unit's province. A questionnaire nobody has saved yet is shown "
                           "with status not_started and version 1.",
            "responses": {"200": _json(_ref("Submission"), "The questionnaire"),
                          **_common("Forbidden", "NotFound")},
        },
        "put": {
            "operationId": "saveSubmission",
            "summary": "Save answers (only the unit's own operator)",
            "description": "Only the indicators named change (null clears one). All or "
                           "nothing: when any value is invalid or any indicator id is unknown, "
                           "nothing is saved. Send the version last read; a questionnaire not "
                           "started yet is at version 1 and is created by its first save. "
                           "Saves merge per indicator: a save from an older version succeeds "
                           "when none of the indicators it changes (to a value different from "
                           "the stored one) was changed by anyone since that version; the "
                           "answer carries the new version.",
            "requestBody": _body(_ref("SaveRequest")),
            "responses": {
                "200": _json(_ref("Submission"), "Saved; the answer carries the new version"),
                **_common("Forbidden", "NotFound", *BODY_ERRORS),
                "409": _error("conflict: an indicator this save changes was also changed by "
                              "someone else since the version sent; nothing is saved and "
                              "details is {\"conflicts\": [{\"indicator\": id, \"yours\": "
                              "the value sent, \"theirs\": the stored value}], "
                              "\"current_version\": n} (read again, choose, send with "
                              "current_version); closed: the questionnaire is submitted or the "
                              "deadline has passed"),
                "422": _INVALID_BY_INDICATOR,
            },
        },
    },
    "/periods/{period}/units/{code}/submission/submit": {
        "parameters": [PERIOD_PARAM, UNIT_PARAM],
        "post": {
            "operationId": "submitSubmission",
            "summary": "Submit the questionnaire with the head's integrity statement",
            "requestBody": _body(_ref("SubmitRequest")),
            "responses": {
                "200": _json(_ref("Submission"), "Submitted (and locked)"),
                **_common("Forbidden", "NotFound", *BODY_ERRORS),
                "409": _error("conflict (stale version) or closed (already submitted, or after "
                              "the deadline)"),
                "422": _error("invalid: details.missing lists what blocks submitting "
                              "(indicator and reason); other keys name head fields"),
            },
        },
    },
    "/periods/{period}/ranking": {
        "parameters": [PERIOD_PARAM],
        "get": {
            "operationId": "getPublishedRanking",
            "summary": "The period's published national ranking (no token needed)",
            "description": "The result of the latest published final scoring run, in the "
                           "JSON shape of the `score` command. The header X-Scoring-Run names "
                           "the run's number.",
            "security": [],
            "responses": {
                "200": _json(_ref("Ranking"), "The published ranking"),
                "404": _error("No such period, or its ranking is not published (yet)"),
            },
        },
    },
    "/openapi.json": {"get": {
        "operationId": "getOpenApi",
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "The OpenAPI document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}

# -- verification by judges (penilai) ---------------------------------------------------
SCORE_100 = {"type": ["number", "null"], "minimum": 0, "maximum": 100,
             "description": "The indicator's fraction on a 0-100 scale, from the scoring rules"}
SCHEMAS["VerificationIndicator"] = {
    "type": "object",
    "required": ["scored", "entry", "answer", "self_score", "value", "verified_score",
                 "pending", "comment"],
    "properties": {
        "scored": {"type": "boolean", "description": "Whether the indicator counts in the "
                                                     "score"},
        "entry": {"type": "boolean",
                  "description": "A condition of entry (a yes/no, not scored: a unit whose "
                                 "verified answer is not true is listed without a rank). It "
                                 "takes a value like a scored indicator; false needs a "
                                 "comment saying why. Only scored indicators and conditions "
                                 "of entry take a value"},
        "answer": {**_ref("AnswerValue"), "description": "The unit's own answer"},
        "self_score": SCORE_100,
        "value": {**_ref("AnswerValue"), "description": "The judge's verified value (null: none yet)"},
        "verified_score": SCORE_100,
        "pending": {"type": ["object", "null"], "required": ["raw", "error"],
                    "properties": {"raw": {"type": "string"}, "error": {"type": "string"}},
                    "description": "A value typed in the web form that is not valid yet"},
        "comment": {"type": "string"},
        "sampled_dates": {"type": "array", "items": {"type": "string", "format": "date"},
                          "description": "Only for an indicator with a sample: the dates drawn "
                                         "at random in the period covered (seeded by the "
                                         "period and the unit) for the judge to check"},
        "checked_dates": {"type": "array", "items": {"type": "string", "format": "date"},
                          "description": "Only for an indicator with a sample: the sampled "
                                         "dates the judge recorded as checked"},
    },
}
SCHEMAS["Verification"] = {
    "type": "object",
    "required": ["period", "unit", "state", "open", "progress", "missing", "indicators"],
    "properties": {
        "period": {"type": "string"},
        "unit": {"type": "object", "required": ["code", "name"],
                 "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
        "version": {"type": "integer", "minimum": 1,
                    "description": "The version of the judge's saves; send it with a save "
                                   "to merge it per indicator with saves made since"},
        "state": {"type": "string", "enum": ["not_started", "started", "completed"]},
        "open": {"type": "boolean", "description": "Whether values can be changed now (not "
                                                   "completed, verification not closed)"},
        "verification_closes_at": NULLABLE_DATETIME,
        "started_at": NULLABLE_DATETIME,
        "completed_at": NULLABLE_DATETIME,
        "progress": {"type": "object", "required": ["verified", "scored", "pending"],
                     "properties": {k: {"type": "integer", "minimum": 0}
                                    for k in ("verified", "scored", "pending")},
                     "description": "scored counts the indicators to verify: the scored ones "
                                    "and the conditions of entry"},
        "missing": {"type": "array", "items": _ref("MissingItem"),
                    "description": "Indicators to verify (scored ones and conditions of "
                                   "entry) still without a valid verified value, or a "
                                   "condition of entry at false without a comment"},
        "indicators": {"type": "object", "additionalProperties": _ref("VerificationIndicator"),
                       "description": "By indicator id, in rubric order"},
    },
}
SCHEMAS["VerificationSaveRequest"] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "values": {**_ref("Answers"), "description": "Verified values of scored indicators "
                                                     "and conditions of entry, exchange "
                                                     "format; null clears one. A condition "
                                                     "of entry at false needs a comment "
                                                     "(given here or stored): 422 otherwise"},
        "comments": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "Comments by indicator id (at most 5000 characters)"},
        "checked": {"type": "object",
                    "additionalProperties": {"type": "array",
                                             "items": {"type": "string", "format": "date"}},
                    "description": "The sampled dates checked, by indicator id (only "
                                   "indicators with a sample; only dates of its sample)"},
        "version": {"type": "integer",
                    "description": "The version read (GET). Given, the save is merged per "
                                   "indicator with saves made since and refused (409) only "
                                   "where the same value, comment or dates changed on both "
                                   "sides; left out, the values named are written"},
    },
}
_VERIFY_FORBIDDEN = _error("Not a judge assigned to this unit, or a conflict of interest")
PATHS["/periods/{period}/verifications/{code}"] = {
    "parameters": [PERIOD_PARAM, UNIT_PARAM],
    "get": {
        "operationId": "getVerification",
        "summary": "The caller's (a judge's) verification of an assigned unit",
        "description": "Per indicator the unit's answer and self-score and the judge's value, "
                       "score and comment. Only the assigned judge without a conflict of "
                       "interest; anyone else gets 403.",
        "responses": {"200": _json(_ref("Verification"), "The verification"),
                      **_common("NotFound"), "403": _VERIFY_FORBIDDEN},
    },
    "put": {
        "operationId": "saveVerification",
        "summary": "Save verified values and comments (partial: only those named change)",
        "description": "All or nothing: any invalid value or unknown indicator id is answered "
                       "with 422 and nothing is saved.",
        "requestBody": _body(_ref("VerificationSaveRequest")),
        "responses": {
            "200": _json(_ref("Verification"), "Saved"),
            **_common("NotFound", *BODY_ERRORS), "403": _VERIFY_FORBIDDEN,
            "409": _error("conflict: details is {\"conflicts\": [{\"indicator\": id, "
                          "\"field\": \"value\"|\"comment\"|\"dates\", \"yours\": ..., "
                          "\"theirs\": ...}], \"current_version\": n} and nothing was saved "
                          "(read again, choose, send with current_version); closed: the unit "
                          "is completed (reopen it first) or the verification has closed"),
            "422": _INVALID_BY_INDICATOR,
        },
    },
}


def _verification_step(operation_id: str, summary: str, done: str, refusals: dict) -> dict:
    """A POST that moves the caller's verification of a unit on: the verification back, or
    the refusals (status -> text) besides the common ones."""
    return {
        "parameters": [PERIOD_PARAM, UNIT_PARAM],
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "responses": {
                "200": _json(_ref("Verification"), done),
                **_common("NotFound"), "403": _VERIFY_FORBIDDEN,
                **{status: _error(text) for status, text in refusals.items()},
            },
        },
    }


PATHS["/periods/{period}/verifications/{code}/complete"] = _verification_step(
    "completeVerification", "Complete the unit: every scored indicator and condition of entry "
    "has a verified value",
    "Completed",
    {"409": "conflict: already completed; closed: the verification has closed",
     "422": "invalid: details.missing lists the indicators still without a value"})
PATHS["/periods/{period}/verifications/{code}/reopen"] = _verification_step(
    "reopenVerification", "Reopen a completed unit (until the verification closes)",
    "Open again", {"409": "conflict: not completed; closed: the verification has closed"})

# -- judge assignments (penugasan penilai) ----------------------------------------------
SCHEMAS["Assignment"] = {
    "type": "object",
    "required": ["id", "unit", "judge", "active", "conflict", "verified", "scored",
                 "assigned_at", "completed_at", "ended_at", "ended_reason"],
    "properties": {
        "id": {"type": "integer"},
        "unit": {"type": "object", "required": ["code", "name", "level", "province"],
                 "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                "level": _ref("Level"),
                                "province": {"type": ["string", "null"],
                                             "description": "Province code (null for KPU RI)"}}},
        "judge": {"type": "object", "required": ["id", "username", "name"],
                  "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                                 "name": {"type": "string"}}},
        "active": {"type": "boolean", "description": "False once ended (drop-out or by hand); "
                                                     "the values given stay stored"},
        "conflict": {"type": "boolean", "description": "The judge has a conflict of interest "
                                                       "with the unit under the current settings"},
        "verified": {"type": "integer", "minimum": 0,
                     "description": "Scored indicators with a verified value"},
        "scored": {"type": "integer", "minimum": 0, "description": "Scored indicators in the rubric"},
        "assigned_at": NULLABLE_DATETIME,
        "completed_at": NULLABLE_DATETIME,
        "ended_at": NULLABLE_DATETIME,
        "ended_reason": {"type": ["string", "null"]},
    },
}
SCHEMAS["AssignmentList"] = {
    "type": "object",
    "required": ["period", "judges_per_unit", "assignments"],
    "properties": {
        "period": {"type": "string"},
        "judges_per_unit": {"type": "integer", "minimum": 1},
        "assignments": {"type": "array", "items": _ref("Assignment"),
                        "description": "By unit code, then assignment id; ended ones included"},
    },
}
PATHS["/periods/{period}/assignments"] = {
    "parameters": [PERIOD_PARAM],
    "get": {
        "operationId": "listAssignments",
        "summary": "Judge assignments of a period (administrators: all; judges: their own)",
        "responses": {"200": _json(_ref("AssignmentList"), "The assignments"),
                      **_common("NotFound"),
                      "403": _error("Only administrators and judges may list assignments")},
    },
}

# -- issue 14: a unit's feedback and the rank changes, from the published run ------------------

_MEAN = {"type": ["object", "null"], "required": ["mean", "n"],
         "properties": {"mean": SCORE_2,
                        "n": {"type": "integer", "minimum": 1,
                              "description": "Units in the mean, the unit itself included"}}}
SCHEMAS["Feedback"] = {
    "type": "object",
    "description": "A unit's aspect scores against units of its own category: the national "
                   "mean of the category and the mean of the category in the unit's province "
                   "(null for KPU RI), both including the unit and every other scored unit of "
                   "the category, units listed without rank too, from the published run",
    "required": ["unit", "category", "total", "rank", "ranked", "entry_unmet", "not_ranked",
                 "decided_by", "aspects"],
    "additionalProperties": False,
    "properties": {
        "unit": {"type": "string"}, "category": {"type": "string"}, "total": SCORE_2,
        "rank": {"type": ["integer", "null"],
                 "description": "null when the unit is listed without rank (not_ranked says why)"},
        "ranked": {"type": "integer", "minimum": 0,
                   "description": "Ranked units of the category (the m of 'rank n of m'); "
                                  "units listed without rank are not counted"},
        "entry_unmet": {"type": "array", "items": {"type": "string"},
                        "description": "Conditions of entry (indicator ids) the unit does not "
                                       "meet; such a unit has no rank"},
        "not_ranked": {"type": ["string", "null"],
                       "description": "Why there is no rank ('Not ranked: entry condition not "
                                      "met'), null for a ranked unit"},
        "decided_by": {"type": ["string", "null"],
                       "description": "The tie-break aspect (an id in aspects) that placed "
                                      "the unit below a unit of its category with the same "
                                      "stage and rounded total, as the pages mark it; null "
                                      "when its rank was not decided by an aspect"},
        "aspects": {"type": "array", "items": {
            "type": "object", "required": ["id", "score", "national", "province"],
            "additionalProperties": False,
            "properties": {"id": {"type": "string"},
                           "score": {**SCORE_2, "type": ["number", "null"]},
                           "national": _MEAN, "province": _MEAN}}},
    },
}
_RANK = {"type": ["integer", "null"], "minimum": 1}
SCHEMAS["RankChanges"] = {
    "type": "object",
    "required": ["previous", "categories"],
    "additionalProperties": False,
    "properties": {
        "previous": {"type": ["string", "null"],
                     "description": "Slug of the previous published period (null: none)"},
        "categories": {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["unit", "name", "previous_rank", "rank", "change"],
            "properties": {
                "unit": {"type": "string"}, "name": {"type": "string"},
                "previous_rank": {**_RANK, "description": "null: new to the ranking"},
                "rank": {**_RANK, "description": "null: ranked before but not now"},
                "change": {"type": ["integer", "null"],
                           "description": "previous_rank - rank; positive: moved up"},
                "entry_unmet": {"const": True,
                                "description": "Present (true) only when the unit is listed now "
                                               "without rank, a condition of entry not met (Not "
                                               "ranked: entry condition not met)"}}}}},
    },
}
PATHS["/periods/{period}/units/{code}/feedback"] = {
    "parameters": [PERIOD_PARAM, UNIT_PARAM],
    "get": {
        "operationId": "getUnitFeedback",
        "summary": "A unit's feedback from the published run",
        "description": "For the unit's operators, its province's monitor and the admin. Scores "
                       "and means are rounded half up to two decimals.",
        "responses": {
            "200": _json(_ref("Feedback"), "The unit's feedback"),
            **_common(), "403": {"$ref": "#/components/responses/Forbidden"},
            "404": _error("No such period or unit, nothing published yet, or the unit is not "
                          "ranked in the published run"),
        },
    },
}
PATHS["/periods/{period}/rank-changes"] = {
    "parameters": [PERIOD_PARAM],
    "get": {
        "operationId": "getRankChanges",
        "summary": "Rank changes since the previous published period (no token needed)",
        "security": [],
        "responses": {
            "200": _json(_ref("RankChanges"), "Rank changes per category"),
            "404": _error("No such period, or its ranking is not published (yet)"),
        },
    },
}


# -- issue 16: a unit's channels, logged posts, activities and weekly activity ----------------

_URL = {"type": "string", "maxLength": 1000, "description": "An http or https address"}
_NULLABLE_URL = {"type": ["string", "null"], "maxLength": 1000}
_INVALID = _error("A field's value is refused (details name it); nothing changed")
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
SCHEMAS.update({
    "ChannelRequest": {
        "type": "object", "required": ["kind", "url"], "additionalProperties": False,
        "properties": {"kind": {"enum": ["website", "youtube", "podcast", "social", "other"]},
                       "url": _URL, "feed_url": _NULLABLE_URL}},
    "Channel": {
        "type": "object", "required": ["id", "unit", "kind", "url", "feed_url", "status", "error"],
        "properties": {"id": {"type": "integer"}, "unit": {"type": "string"},
                       "kind": {"type": "string"}, "url": {"type": "string"},
                       "feed_url": {"type": ["string", "null"]},
                       "status": {"enum": ["ok", "not_modified", "failed", None]},
                       "error": {"type": ["string", "null"]}, "fetched_at": NULLABLE_DATETIME}},
    "ChannelList": {"type": "object", "required": ["channels"],
                    "properties": {"channels": {"type": "array", "items": _ref("Channel")}}},
    "PostRequest": {
        "type": "object", "required": ["url", "published"], "additionalProperties": False,
        "properties": {"url": _URL,
                       "published": {"type": "string", "description": "YYYY-MM-DD (noon in the "
                                     "unit's zone) or an ISO date-time"},
                       "title": {"type": ["string", "null"], "maxLength": 500},
                       "channel_id": {"type": ["integer", "null"], "description": "Default: the "
                                      "unit's first channel without a feed"}}},
    "Post": {"type": "object", "required": ["id", "channel_id", "url", "published", "created"],
             "properties": {"id": {"type": "integer"}, "channel_id": {"type": "integer"},
                            "url": {"type": "string"}, "title": {"type": "string"},
                            "published": DATETIME, "created": {"type": "boolean"}}},
    "ActivityRequest": {
        "type": "object", "required": ["date", "title"], "additionalProperties": False,
        "properties": {"date": {"type": "string", "format": "date"},
                       "title": {"type": "string", "maxLength": 500},
                       "kind": {"enum": ["internal", "external", None]},
                       "item_url": _NULLABLE_URL}},
    "Activity": {"type": "object", "required": ["id", "date", "title", "kind", "item_id"],
                 "properties": {"id": {"type": "integer"}, "date": {"type": "string"},
                                "title": {"type": "string"}, "kind": {"type": "string"},
                                "item_id": {"type": ["integer", "null"]}}},
    "UnitActivity": {
        "type": "object",
        "required": ["unit", "from", "to", "items", "weeks", "weeks_without_items",
                     "longest_gap_weeks", "channels", "activities", "same_day_share"],
        "properties": {
            "unit": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
            "items": {"type": "integer", "minimum": 0},
            "weeks": {"type": "array", "description": "Every ISO week overlapping the range, "
                      "0-item weeks included, in the unit's time zone",
                      "items": {"type": "object", "required": ["week", "items"],
                                "properties": {"week": {"type": "string",
                                                        "pattern": "^[0-9]{4}-W[0-9]{2}$"},
                                               "items": {"type": "integer", "minimum": 0}}}},
            "weeks_without_items": {"type": "integer", "minimum": 0},
            "longest_gap_weeks": {"type": "integer", "minimum": 0},
            "channels": {"type": "array", "items": {
                "type": "object", "required": ["id", "kind", "items", "last_item", "status", "error"],
                "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                               "items": {"type": "integer"}, "last_item": NULLABLE_DATETIME,
                               "status": {"type": ["string", "null"]},
                               "error": {"type": ["string", "null"]}}}},
            "activities": {"type": "integer", "minimum": 0},
            "same_day_share": _SHARE}},
})
_MONITOR_CALLERS = ("Allowed for the unit's operators, administrators and (reading) the monitor "
                    "of the unit's province.")
PATHS.update({
    "/units/{code}/channels": {
        "parameters": [UNIT_PARAM],
        "get": {"operationId": "listChannels", "summary": "A unit's public channels",
                "description": _MONITOR_CALLERS,
                "responses": {"200": _json(_ref("ChannelList"), "The channels"),
                              **_common("Forbidden", "NotFound")}},
        "post": {"operationId": "addChannel", "summary": "Register a channel (operators, admin)",
                 "requestBody": _body(_ref("ChannelRequest")),
                 "responses": {"201": _json(_ref("Channel"), "The channel"), "422": _INVALID,
                               **_common("Forbidden", "NotFound", *BODY_ERRORS)}},
    },
    "/units/{code}/channels/{channel}": {
        "parameters": [UNIT_PARAM, {"name": "channel", "in": "path", "required": True,
                                    "schema": {"type": "integer"}}],
        "delete": {"operationId": "removeChannel", "summary": "Remove a channel and its items",
                   "responses": {"204": {"description": "Removed"},
                                 **_common("Forbidden", "NotFound")}},
    },
    "/units/{code}/posts": {
        "parameters": [UNIT_PARAM],
        "post": {"operationId": "logPost", "summary": "Log a post of a channel without a feed",
                 "description": "The same link again is the same item (200, created false).",
                 "requestBody": _body(_ref("PostRequest")),
                 "responses": {"201": _json(_ref("Post"), "Logged"),
                               "200": _json(_ref("Post"), "Logged before"), "422": _INVALID,
                               **_common("Forbidden", "NotFound", *BODY_ERRORS)}},
    },
    "/units/{code}/activities": {
        "parameters": [UNIT_PARAM],
        "post": {"operationId": "addActivity", "summary": "Log an activity (item_url covers it)",
                 "requestBody": _body(_ref("ActivityRequest")),
                 "responses": {"201": _json(_ref("Activity"), "Logged"), "422": _INVALID,
                               **_common("Forbidden", "NotFound", *BODY_ERRORS)}},
    },
    "/units/{code}/activity": {
        "parameters": [UNIT_PARAM,
                       {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                       {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}],
        "get": {"operationId": "getUnitActivity",
                "summary": "Items per ISO week, gaps, channels and same-day coverage",
                "description": _MONITOR_CALLERS + " Without from/to: the last 26 weeks.",
                "responses": {"200": _json(_ref("UnitActivity"), "The activity"), "422": _INVALID,
                              **_common("Forbidden", "NotFound")}},
    },
})


# -- issue 11: the season's stages and gates, runs and publication (administrators) -----------

SCHEMAS["Gate"] = {
    "type": "object",
    "required": ["id", "action", "ok", "count", "message", "waivable"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "enum": ["questionnaire_closed", "verification_closed",
                                          "verification_complete", "stage_two",
                                          "objection_period", "objections_decided",
                                          "disagreements", "final_run"]},
        "action": {"type": "string", "enum": ["provisional", "final", "publish"],
                   "description": "The step this gate stands before"},
        "ok": {"type": "boolean"},
        "count": {"type": "integer", "minimum": 0,
                  "description": "How many items are left (units, objections, flags; 1 for "
                                 "a date or a run that is missing)"},
        "message": {"type": "string"},
        "waivable": {"type": "boolean",
                     "description": "Waived only item by item with a reason (excluding a "
                                    "unit, accepting a disagreement), never as a whole"},
    },
}
SCHEMAS["Season"] = {
    "type": "object",
    "required": ["stage", "stages", "gates"],
    "additionalProperties": False,
    "properties": {
        "stage": {"type": "string", "enum": ["persiapan", "pengisian", "verifikasi", "peringkat",
                                             "sanggah", "penetapan", "diumumkan"]},
        "stages": {"type": "array", "items": {
            "type": "object", "required": ["id", "title", "starts", "ends"],
            "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "starts": NULLABLE_DATETIME, "ends": NULLABLE_DATETIME}}},
        "gates": {"type": "array", "items": _ref("Gate")},
    },
}
SCHEMAS["Run"] = {
    "type": "object",
    "required": ["run", "kind", "period", "reason", "created_at", "rubric_id", "exchange_sha256"],
    "additionalProperties": False,
    "properties": {
        "run": {"type": "integer", "minimum": 1}, "kind": {"enum": ["provisional", "final"]},
        "period": {"type": "string"}, "reason": {"type": "string"}, "created_at": DATETIME,
        "rubric_id": {"type": "string"}, "exchange_sha256": {"type": "string"},
        "published_at": DATETIME,
    },
}
SCHEMAS["SeasonGateError"] = {
    "type": "object",
    "required": ["error", "message", "details"],
    "additionalProperties": False,
    "properties": {
        "error": {"const": "season_gate"}, "message": {"type": "string"},
        "details": {"type": "object", "required": ["gates"], "additionalProperties": False,
                    "properties": {"gates": {"type": "array", "items": _ref("Gate"),
                                             "description": "Every failing gate"}}},
    },
}
_ADMIN_ONLY = _error("Only administrators manage the season")
_GATE_REFUSED = _json(_ref("SeasonGateError"), "A gate does not hold; nothing changed")
PATHS["/periods/{period}/season"] = {
    "parameters": [PERIOD_PARAM],
    "get": {
        "operationId": "getSeason",
        "summary": "Where the period stands: its stage, each stage's dates and every gate",
        "responses": {"200": _json(_ref("Season"), "The season"),
                      **_common("NotFound"), "403": _ADMIN_ONLY},
    },
}
PATHS["/periods/{period}/runs"] = {
    "parameters": [PERIOD_PARAM],
    "post": {
        "operationId": "createRun",
        "summary": "Compute a provisional or final ranking once its gates hold",
        "description": "A final run after an earlier one is a correction: its note is the "
                       "required reason.",
        "requestBody": _body({"type": "object", "required": ["kind"], "additionalProperties": False,
                              "properties": {"kind": {"enum": ["provisional", "final"]},
                                             "note": {"type": "string"}}}),
        "responses": {"201": _json(_ref("Run"), "The run"), "409": _GATE_REFUSED,
                      "422": _error("A correction without a reason, or a note too long"),
                      **_common("NotFound", *BODY_ERRORS), "403": _ADMIN_ONLY},
    },
}
PATHS["/periods/{period}/runs/{number}/publish"] = {
    "parameters": [PERIOD_PARAM, {"name": "number", "in": "path", "required": True,
                                  "schema": {"type": "integer", "minimum": 1}}],
    "post": {
        "operationId": "publishRun",
        "summary": "Publish a final run (a final run must exist)",
        "responses": {"201": _json(_ref("Run"), "The published run"), "409": _GATE_REFUSED,
                      "422": _error("The run is not a final run"),
                      **_common("NotFound", *BODY_ERRORS), "403": _ADMIN_ONLY},
    },
}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Bakohumas Assessment API",
        "version": __version__,
        "summary": "Read and fill in work units' governance self-assessments",
        "description": "Authenticate with a personal API token (created on the profile page or "
                       "with `python run.py token create USERNAME`) in the header "
                       "`Authorization: Bearer <token>`. Cookies are never accepted. Every "
                       "error is JSON of the Error schema. Bodies are limited to "
                       f"{MAX_BODY_BYTES} bytes.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "A personal API token (bkh_...)"}},
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}


def document() -> dict:
    """A copy of the OpenAPI document (callers may change theirs freely)."""
    return deepcopy(DOCUMENT)
