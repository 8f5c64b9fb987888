"""Before the suite: PostgreSQL and Redis must answer, else one clear line and exit 2."""

import os
import socket
import sys
from urllib.parse import urlsplit

SERVICES = {
    "PostgreSQL": os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness"),
    "Redis": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
}


def main() -> int:
    for name, url in SERVICES.items():
        parts = urlsplit(url)
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=3):
                pass
        except OSError as exc:
            print(
                f"make test: {name} is unreachable at {parts.hostname}:{parts.port} ({exc.strerror or exc}); "
                "start it (see README) or set TEST_DATABASE_URL / TEST_REDIS_URL.",
                file=sys.stderr,
            )
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
