"""The fast parts of the season rehearsal (bench/season.py) against a real gunicorn server:
no lost update under simultaneous saves, a killed worker loses nothing acknowledged, and
the closing time holds to the second. PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
season = pytest.importorskip("season")
pytest.importorskip("gunicorn")

pytestmark = pytest.mark.slow
UNITS = 24


@pytest.fixture(scope="module")
def rehearsal():
    base = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    url, drop = season.create_database(base)
    upload_dir = tempfile.mkdtemp(prefix="season-test-")
    seeded = season.seed(season.app_for(url, upload_dir), ["load", "race", "faults", "deadline"],
                         units=UNITS)
    server = season.Server(url, upload_dir, workers=2, threads=4)
    yield server, season.app_for(url, upload_dir), seeded
    server.stop()
    drop()


def test_every_unit_saves_and_submits_without_errors(rehearsal):
    server, _, seeded = rehearsal
    summary, failed = season.api_load(server, "load", seeded, clients=8, saves=3)
    assert failed == 0 and summary["errors"] == 0
    assert summary["requests"] == UNITS * 5     # read, three saves, submit


def test_simultaneous_saves_never_lose_an_update(rehearsal):
    server, _, seeded = rehearsal
    outcome = season.race(server, "race", seeded, pairs=12, database_url="")
    assert outcome["pairs"] == 12
    assert outcome["lost_update"] == 0 and outcome["other"] == 0
    assert outcome["one_stored_one_409"] + outcome["both_409"] == 12


def test_a_killed_worker_loses_nothing_acknowledged(rehearsal):
    server, app, seeded = rehearsal
    result = season.faults(server, app, "faults", seeded, clients=6, saves=3, restart_postgres=False)
    assert result["missing"] == 0 and result["half_written"] == 0
    assert result["failed_units"] == 0 and result["acknowledged"] == UNITS
    for _ in range(300):   # the master replaces the worker (at most ~30 s on a loaded machine)
        if len(server.workers()) == 2:
            break
        time.sleep(0.1)
    assert len(server.workers()) == 2


def test_the_deadline_holds_to_the_second(rehearsal):
    server, app, seeded = rehearsal
    result = season.deadline(server, app, "deadline", seeded, clients=6, lead=2.0)
    assert result["accepted_after_close"] == 0
    assert result["saved_before"] > 0 and result["refused_after"] > 0
    kept, total = result["last_acknowledged_kept"].split("/")
    assert kept == total and int(total) > 0
