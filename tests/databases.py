"""Test databases never outlive their pytest process (used by tests/conftest.py).

Each pytest process has its own PostgreSQL test database, ``test_readiness_<pid>`` (tests/settings.py).
pytest-django drops it at the end, but only warns when the drop fails: a thread or a child process
(the live server, a Celery worker, a server under test) still connected to it leaves it behind. And a
killed run never gets to the drop. So:

- before pytest-django's drop, every session still connected to the database is ended, and after it
  the database is dropped ``WITH (FORCE)`` if it is still there;
- at the start, the ``test_readiness_<pid>`` databases of processes that no longer exist are dropped
  (without FORCE: a database someone is connected to stays, whatever its name says).
"""

from __future__ import annotations

import os
import re

import psycopg
from psycopg import sql

OURS = re.compile(r"^test_readiness_(\d+)$")


def _admin(settings_dict: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        autocommit=True,
        connect_timeout=5,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_orphans(settings_dict: dict) -> list[str]:
    """Drop the test databases of pytest processes that are gone; return their names."""
    dropped = []
    with _admin(settings_dict) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
        for name in names:
            match = OURS.match(name)
            if not match or _alive(int(match.group(1))):
                continue
            try:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            except psycopg.errors.ObjectInUse:
                continue  # someone is using it: not an orphan after all
            dropped.append(name)
    return dropped


def drop(settings_dict: dict, name: str) -> bool:
    """Drop ``name`` if it still exists, closing whatever is still connected to it."""
    with _admin(settings_dict) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return bool(exists)


def disconnect(settings_dict: dict, name: str) -> None:
    """End every session connected to ``name`` (threads' and child processes' connections)."""
    with _admin(settings_dict) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
