"""One transaction per request and per command, and side effects after it commits.

The rule (like the single commit point of indico's ``RH`` or pyramid_tm):

- **A page or API function that returns normally is committed**; any exception escaping
  it (``OperationError``, ``abort()``, ``ApiError``, anything) rolls the whole request back
  before the error handlers answer. ``before_request`` work belongs to the same transaction.
  A commit that finds a concurrent change (``StaleDataError``) is rolled back and raises
  ``Conflict`` (409); an ``IntegrityError`` is rolled back and answered 409 by
  security.only_one_conflict.
- **A view that catches an OperationError to answer with a page** (a form shown again
  with its errors) runs the operation inside ``attempt()``: a savepoint undone when the
  operation raises. The refused operation then leaves nothing behind, while what the view
  wrote outside it is committed with the answer (answers kept as typed, failed-login
  counts). tests/test_architecture.py checks that every such ``except`` in views guards
  an ``attempt()``.
- **Views, API functions and operations never call commit() or rollback()**. Operations
  flush and raise; where a failure must be undone inside them (a concurrent insert, a
  stale versioned update) they use ``session.begin_nested()``.
- **Side effects wait for the commit**: ``after_commit(fn)`` runs ``fn`` once the
  transaction is committed (e-mail, moving uploaded files into place), ``after_rollback(fn)``
  once it is rolled back or abandoned (removing those files). Hooks belong to the innermost
  transaction when registered: a savepoint rolled back runs its rollback hooks at once and
  drops its commit hooks; a savepoint released hands them to its parent. They are driven by
  the session's own events, so a commit anywhere (a command, a test, the demo builder) runs
  them. A failing hook is logged and never undoes the commit.
- **Commands** run in ``transaction()`` (assessment/cli.py ``run``): committed when the
  command returns, rolled back when it raises.

Exceptions, each its own documented boundary: first_start.prepare (migrating and seeding
before anything runs), backup/restore (whole-database copies) and the demo builder commit
themselves; outbox.deliver commits its claims before talking to the SMTP server and the
results after, in a session of its own.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db
from .operations import Conflict

log = logging.getLogger(__name__)

CONCURRENT_CHANGE = _l("Someone else changed this at the same moment: reload the page (or read "
                       "it again) and retry.")
_HOOKS, _COMMITTED = "transaction_hooks", "transaction_committed"


# ---- the boundary ----------------------------------------------------------------------------

class TransactionalFlask(Flask):
    """Flask with the request's one transaction: committed after the view, rolled back on
    any exception from ``before_request`` functions or the view."""

    def preprocess_request(self):
        with _rollback_on_error():
            rv = super().preprocess_request()
        if rv is not None:   # a before_request function answered: that is a normal return
            commit()
        return rv

    def dispatch_request(self):
        with _rollback_on_error():
            rv = super().dispatch_request()
        commit()
        return rv


@contextmanager
def _rollback_on_error():
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise


def commit(session: Session | None = None) -> None:
    """Commit the boundary's transaction; a concurrent change found now is a Conflict."""
    session = session or db.session
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(str(CONCURRENT_CHANGE)) from None
    except BaseException:
        session.rollback()
        raise


@contextmanager
def transaction(session: Session | None = None):
    """The boundary of a command: commit when the block ends normally, roll back otherwise."""
    session = session or db.session
    with _rollback_on_error():
        yield session
    commit(session)


@contextmanager
def attempt(session: Session | None = None):
    """A savepoint around an operation whose refusal a view answers itself: undone (with
    its rollback hooks) when the block raises, which it then re-raises."""
    session = session or db.session
    with session.begin_nested():
        yield session


# ---- hooks -----------------------------------------------------------------------------------

def after_commit(fn: Callable[[], object], session: Session | None = None) -> None:
    """Run ``fn()`` once the current transaction is committed (never if it is rolled back)."""
    _hooks_of(session or db.session)[0].append(fn)


def after_rollback(fn: Callable[[], object], session: Session | None = None) -> None:
    """Run ``fn()`` once the current transaction (or savepoint) is rolled back or abandoned."""
    _hooks_of(session or db.session)[1].append(fn)


def _hooks_of(session) -> tuple[list, list]:
    if isinstance(session, scoped_session):   # db.session: this thread's Session
        session = session()
    current = session.get_nested_transaction() or session.get_transaction() or session.begin()
    return session.info.setdefault(_HOOKS, {}).setdefault(current, ([], []))


@event.listens_for(Session, "after_commit")
def _note_commit(session, *_args):
    hooks = session.info.get(_HOOKS)
    if hooks:
        current = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_COMMITTED, set()).add(current)


@event.listens_for(Session, "after_transaction_end")
def _run_hooks(session, trans):
    hooks = session.info.get(_HOOKS)
    if not hooks or trans not in hooks:
        return
    on_commit, on_rollback = hooks.pop(trans)
    committed = session.info.get(_COMMITTED, set())
    if trans in committed:
        committed.discard(trans)
        if trans.parent is not None:   # a released savepoint: its parent decides
            parent = hooks.setdefault(trans.parent, ([], []))
            parent[0].extend(on_commit)
            parent[1].extend(on_rollback)
            return
        _call_all(on_commit, "after-commit")
    else:
        _call_all(on_rollback, "after-rollback")


def _call_all(functions, kind: str) -> None:
    for fn in functions:
        try:
            fn()
        except Exception:   # the transaction is over either way: log, run the others
            log.exception("%s hook %r failed", kind, fn)
