"""The throwaway PostgreSQL databases the benchmarks seed (never the test or production ones)."""

import psycopg


def _split(url: str) -> tuple[str, str]:
    """(name, URL of the maintenance database on the same server) for a postgres:// URL."""
    base, name = url.rsplit("/", 1)
    return name, base + "/postgres"


def ensure_database(url: str) -> None:
    """Create the database if it is missing; an existing one is reused (seeding is the slow part)."""
    name, admin = _split(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def recreate_database(url: str) -> None:
    """Start from an empty database."""
    name, admin = _split(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
