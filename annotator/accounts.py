"""Reviewers of a team: who may sign in to the app, with which role, checked by password.

A store with no reviewers is in local mode: the app asks for a name and trusts it (fine on 127.0.0.1, where the
app binds by default). `annotator reviewer add` turns team mode on: the app then asks reviewers to sign in, only
adjudicators settle disputes, and `annotator app` may bind to other addresses. Passwords are generated, shown once,
and stored as scrypt hashes (standard library; no password is ever stored or logged).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from annotator.store import Store, StoreError

ROLES = ("annotator", "adjudicator")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _hash(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def add(store: Store, name: str, role: str = "annotator") -> str:
    """Add (or reset) a reviewer with a new random password; return the password, which is not kept anywhere."""
    name = name.strip()
    if not name:
        raise StoreError("a reviewer name is required")
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}: use {' or '.join(ROLES)}")
    password = secrets.token_urlsafe(12)
    store.put_reviewer(name, role, _hash(password, secrets.token_bytes(16)))
    return password


def verify(store: Store, name: str, password: str) -> str | None:
    """The reviewer's role when the password is theirs, else None (the same time whether or not the name exists)."""
    found = store.reviewer(name.strip())
    stored = found["password_hash"] if found else _hash("", b"no such reviewer")
    _, n, r, p, salt, digest = stored.split("$")
    attempt = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r),
                             p=int(p))
    return found["role"] if found and hmac.compare_digest(attempt, base64.b64decode(digest)) else None


SESSION_HOURS = 12


def session_token(store: Store, name: str, *, now: float | None = None, hours: float = SESSION_HOURS) -> str:
    """A token that signs `name` in again until it expires, kept in the app's URL so that a reload (or another app
    server on the same store) keeps the reviewer signed in. It is signed with the reviewer's stored password hash,
    so a password reset ends every session; nothing new is stored."""
    found = store.reviewer(name)
    if not found:
        raise StoreError(f"no reviewer {name!r}")
    expires = int((time.time() if now is None else now) + hours * 3600)
    body = f"{base64.urlsafe_b64encode(name.encode('utf-8')).decode().rstrip('=')}.{expires}"
    return f"{body}.{_signature(found['password_hash'], body)}"


def from_token(store: Store, token: str, *, now: float | None = None) -> tuple[str, str] | None:
    """The (name, role) a `session_token` signs in, or None when it is malformed, forged, expired or its reviewer's
    password has been reset since."""
    try:
        encoded, expires, signature = token.split(".")
        name = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        alive = int(expires) > (time.time() if now is None else now)
    except (ValueError, UnicodeDecodeError):
        return None
    found = store.reviewer(name)
    if not (alive and found and hmac.compare_digest(signature, _signature(found["password_hash"], f"{encoded}.{expires}"))):
        return None
    return name, found["role"]


def _signature(key: str, body: str) -> str:
    return hmac.new(key.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).hexdigest()


def team_mode(store: Store) -> bool:
    """Whether the store has a reviewer list (reviewers sign in) or not (local mode: any name)."""
    return len(store.reviewers()) > 0


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_address(store: Store, address: str) -> None:
    """Refuse to serve beyond this machine without a reviewer list: anyone who reaches the port could label."""
    if address not in LOOPBACK and not team_mode(store):
        raise StoreError(f"--address {address} serves the app beyond this machine, but the store has no reviewer list:"
                         " add reviewers first (annotator reviewer add NAME), so that they must sign in")
