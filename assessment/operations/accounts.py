"""Accounts: a user's own password, and the administrators' work on other accounts
(create, reset to a one-time password, deactivate and reactivate, e-mail), the forgotten
password link and activation letters.

A one-time password (an administrator's reset, a new account) sets
``must_change_password``: every page sends its holder to the password form until it has
its own. A new password or a deactivation ends the account's sessions and revokes its API
tokens in the same flush (models/sessions.py), whatever path changed it. Link secrets are
stored only as hashes (assessment/account_links.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale, gettext as _
from sqlalchemy import func, or_, select, update
from werkzeug.security import generate_password_hash

from .. import audit
from ..account_links import code_digest, digest, new_code, new_token, reset_token
from ..models import AccountLink, User, WorkUnit
from ..models.types import utcnow
from ..models.units import existing_today
from ..roster import (EMAIL, account_problems, add_account, generate_password, password_problem,
                      unit_levels)
from . import Conflict, Invalid, NotAllowed
from .notices import notify

RESET_VALID = timedelta(hours=1)
ACTIVATION_VALID = timedelta(days=30)


def change_password(session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one; other sessions end (the session
    epoch moves on), the caller keeps its own by logging the user in again."""
    if not user.check_password(current or ""):
        raise Invalid(_("The current password is wrong."), details={"current_password": "wrong"})
    if user.check_password(new or ""):
        raise Invalid(_("The new password is the current one."),
                      details={"new_password": "unchanged"})
    _set_own_password(session, user, new)
    audit.record("user.password_change", user, user=user)
    return user


def _set_own_password(session, user: User, new: str) -> None:
    problem = password_problem(new or "", user.username)
    if problem:
        raise Invalid(problem, details={"new_password": problem})
    user.set_password(new)
    # a reset or activation link still waiting is spent by any new password
    session.execute(update(AccountLink).where(AccountLink.user_id == user.id,
                                              AccountLink.used_at.is_(None))
                    .values(used_at=utcnow()).execution_options(synchronize_session=False))
    session.flush()


# ---- administrators on other accounts ---------------------------------------------------------

def create_user(session, by: User, *, username: str, name: str, email: str, role: str,
                unit_code: str) -> tuple[User, str]:
    """A new account with a one-time password (returned, never stored), checked by the
    roster's rules; Invalid names every broken rule by field."""
    row = {"username": (username or "").strip().lower(), "name": (name or "").strip(),
           "email": (email or "").strip(), "role": (role or "").strip(),
           "unit_code": (unit_code or "").strip()}
    taken = set(session.scalars(select(User.username).where(User.username == row["username"])))
    problems = account_problems(row, unit_levels(session), taken)
    if problems:
        raise Invalid(problems[0][1], details=dict(problems))
    password = generate_password()
    account = add_account(session, row, generate_password_hash(password), by="web", user=by,
                          one_time=True)
    return account, password


def reset_password(session, account: User, by: User) -> str:
    """Give ``account`` a new one-time password (returned once) that must be changed at the
    next login; its sessions end and its API tokens are revoked."""
    password = generate_password()
    account.set_password(password, one_time=True)
    session.flush()
    audit.record("user.password_reset", account, user=by, username=account.username,
                 unit_code=account.unit_code)
    return password


def set_active(session, account: User, active: bool, by: User) -> User:
    """Deactivate (sessions end, tokens revoked) or reactivate an account; an administrator
    cannot deactivate their own account."""
    if account.id == by.id and not active:
        raise NotAllowed(_("You cannot deactivate your own account."))
    if bool(account.active) == active:
        return account
    account.active = active
    session.flush()
    audit.record("user.reactivate" if active else "user.deactivate", account, user=by,
                 username=account.username, unit_code=account.unit_code)
    return account


def set_email(session, account: User, email: str, by: User) -> User:
    """Change an account's e-mail address (empty: no e-mail)."""
    email = (email or "").strip()
    if email and (not EMAIL.match(email) or len(email) > 200):
        raise Invalid(_("This is not an e-mail address."), details={"email": "invalid"})
    if email != (account.email or ""):
        previous = account.email or ""
        account.email = email
        session.flush()
        audit.record("user.email", account, user=by, username=account.username,
                     previous=previous, email=email)
    return account


def search_users(query: str = "", role: str = "", active: str = ""):
    """The select() for the account list: text in username, name, e-mail or unit code."""
    stmt = select(User).order_by(User.username)
    text = (query or "").strip().lower()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(func.lower(User.username).like(like), func.lower(User.name).like(like),
                              func.lower(User.email).like(like), User.unit_code.like(like)))
    if role:
        stmt = stmt.where(User.role == role)
    if active in ("1", "0"):
        stmt = stmt.where(User.active.is_(active == "1"))
    return stmt


def user_by_username(session, username: str) -> User | None:
    """The account logging in with this username (exact, as typed without surrounding spaces)."""
    return session.query(User).filter_by(username=username.strip()).first()


# ---- forgotten password -----------------------------------------------------------------------

def find_for_reset(session, identifier: str) -> User | None:
    """The active account with this username or e-mail address (case-insensitive), if
    exactly one has an address to write to."""
    ident = (identifier or "").strip().lower()
    if not ident:
        return None
    found = session.scalars(select(User).where(
        User.active.is_(True), User.email != "",
        or_(func.lower(User.username) == ident, func.lower(User.email) == ident)).limit(2)).all()
    return found[0] if len(found) == 1 else None


def request_reset(session, identifier: str, secret_key: str, link: str,
                  now: datetime | None = None) -> AccountLink | None:
    """E-mail a single-use reset link valid for an hour to the account, when there is one
    with an address; None otherwise (the caller answers the same either way)."""
    user = find_for_reset(session, identifier)
    if user is None:
        return None
    now = now or utcnow()
    with force_locale(user.locale if user.locale in ("id", "en") else "id"):
        title = _("Reset your password")
        body = _("Someone (we hope you) asked to reset the password of the account %(username)s. "
                 "Open the link below within an hour to choose a new password; it works once. "
                 "If you did not ask, ignore this message: your password stays as it is.",
                 username=user.username)
    notices = notify(session, [user], "password_reset", title, body, link)
    token = reset_token(secret_key, notices[0].id)
    entry = AccountLink(user_id=user.id, purpose="reset", token_hash=digest(token),
                        created_at=now, expires_at=now + RESET_VALID)
    session.add(entry)
    session.flush()
    audit.record("user.reset_request", user, user=user, username=user.username)
    return entry


def valid_link(session, purpose: str, token: str | None = None, *, username: str | None = None,
               code: str | None = None, now: datetime | None = None) -> AccountLink | None:
    """The unused, unexpired link of ``purpose`` for this token (or username and code)."""
    now = now or utcnow()
    stmt = select(AccountLink).where(AccountLink.purpose == purpose, AccountLink.used_at.is_(None),
                                     AccountLink.expires_at > now)
    if token:
        stmt = stmt.where(AccountLink.token_hash == digest(token))
    elif username and code:
        stmt = stmt.join(User, User.id == AccountLink.user_id).where(
            func.lower(User.username) == username.strip().lower(),
            AccountLink.code_hash == code_digest(code))
    else:
        return None
    link = session.scalars(stmt.limit(1)).first()
    if link is None or not link.user.active:
        return None
    return link


def use_link(session, link: AccountLink, new_password: str) -> User:
    """Set the account's own password from a reset or activation link, spending it."""
    user = link.user
    _set_own_password(session, user, new_password)
    link.used_at = utcnow()
    session.flush()
    audit.record("user.activate" if link.purpose == "activation" else "user.password_reset_done",
                 user, user=user, username=user.username, unit_code=user.unit_code)
    return user


# ---- activation letters -----------------------------------------------------------------------

def activation_letters(session, by: User, now: datetime | None = None) -> tuple[list[dict], list[WorkUnit]]:
    """A new activation link and code for every active operator account of an active unit
    (earlier letters stop working); returns one plain letter per account in registry order,
    and the active units without any operator account. The secrets are in the letters only."""
    now = now or utcnow()
    expires = now + ACTIVATION_VALID
    rows = session.execute(select(User, WorkUnit).join(WorkUnit, WorkUnit.code == User.unit_code)
                           .where(User.role == "operator", User.active.is_(True),
                                  WorkUnit.active.is_(True))
                           .order_by(WorkUnit.code, User.username)).all()
    if not rows:
        raise Conflict(_("There is no active operator account to write to."))
    session.execute(update(AccountLink).where(AccountLink.purpose == "activation",
                                              AccountLink.used_at.is_(None))
                    .values(expires_at=now).execution_options(synchronize_session=False))
    letters = []
    for user, unit in rows:
        token, code = new_token(), new_code()
        session.add(AccountLink(user_id=user.id, purpose="activation", token_hash=digest(token),
                                code_hash=code_digest(code), created_at=now, expires_at=expires,
                                created_by=by.id))
        letters.append({"unit_code": unit.code, "unit_name": unit.name, "username": user.username,
                        "name": user.name, "token": token, "code": code, "expires_at": expires,
                        "time_zone": unit.time_zone})
    session.flush()
    with_account = {u.unit_code for u, _unit in rows}
    without = [u for u in session.scalars(select(WorkUnit).where(WorkUnit.active.is_(True),
                                                                 existing_today())
                                          .order_by(WorkUnit.code)) if u.code not in with_account]
    audit.record("user.activation_letters", by, user=by, letters=len(letters),
                 expires_at=expires.isoformat(), units_without_account=len(without))
    return letters, without
