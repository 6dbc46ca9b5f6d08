"""Charts drawn by a pool of processes: a chart to draw is plain data, a drawing order
``(name of a reports.charts function, positional arguments, keyword arguments)``, so it can
be sent to another process; each process imports only this module and the charts.

``draw_files`` writes each order's PNG to its path (atomically; a file already there is
kept), in a pool of ``processes`` spawned processes, or here when one process is asked for
or there is a single chart to draw (a pool's start costs about a second)."""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from . import charts
from .batch import write_atomically


def draw(order: tuple[str, tuple, dict]) -> bytes:
    """The PNG bytes of one drawing order."""
    function, args, kwargs = order
    return getattr(charts, function)(*args, **kwargs)


def draw_file(job: tuple[str, tuple[str, tuple, dict]]) -> str:
    """Draw ``(path, order)`` unless the file is there; returns the path."""
    path, order = job
    if not os.path.exists(path):
        write_atomically(Path(path), draw(order))
    return path


def draw_files(jobs: list[tuple[str, tuple[str, tuple, dict]]], processes: int = 1) -> list[str]:
    """Write every ``(path, order)`` of ``jobs`` (see the module's docstring)."""
    jobs = [job for job in jobs if not os.path.exists(job[0])]
    if processes < 2 or len(jobs) < 2:
        return [draw_file(job) for job in jobs]
    # heaviest first would need their cost; one chart a task, so a long one does not wait
    with multiprocessing.get_context("spawn").Pool(min(processes, len(jobs))) as pool:
        return list(pool.imap_unordered(draw_file, jobs, chunksize=1))
