"""Endpoints benchmark: ``probes_run_batch`` over 1,000 registered endpoints in one process.

    .venv/bin/python bench/endpoints_bench.py [--count 1000] [--rounds 3]

Seeds (kept between runs) a PostgreSQL database named ``readiness_endpoints_bench`` on the test
server (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/readiness_endpoints_bench)
with one repository of ``--count`` endpoints pointing at a local asyncio HTTP server (a child
process on 127.0.0.1, allowed through an AllowedNetwork row on its port). Then it times, per round:
the beat tick that claims them all (``probes_dispatch_due``, enqueueing nothing), and
``probes_run_batch`` over every id (policy from the database, concurrent probes, bulk insert of
the records, state update), and finally ``rollup_hour`` over the records. It prints seconds and
probes per second; the target is 1,000 probes in under 5 s. It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from postgres import ensure_database  # noqa: E402  (bench/postgres.py)

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness_endpoints_bench"
)
os.environ["TEST_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

BODY = b'{"status": "ok", "checks": {"database": "ok"}, "version": "1.0"}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(port_queue) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=2048)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def seed(count: int, port: int) -> list[int]:
    """One repository of ``count`` endpoints on the server's (new) port; the rule allows that port."""
    from django.db import transaction
    from django.utils import timezone

    from readiness.core.models import AllowedNetwork
    from readiness.endpoints.models import Endpoint
    from readiness.repos.models import Repository
    from readiness.teams.models import Team

    with transaction.atomic():
        AllowedNetwork.objects.filter(reason="endpoints bench").delete()
        AllowedNetwork.objects.create(
            target="127.0.0.1", port=port, reason="endpoints bench", added_by="bench"
        )
        team, _ = Team.objects.get_or_create(slug="endpoints-bench", defaults={"name": "Endpoints bench"})
        repository, _ = Repository.objects.get_or_create(
            team=team, slug="bench", defaults={"name": "bench", "url": "/nonexistent"}
        )
        Endpoint.objects.filter(repository=repository).delete()  # and their records
        Endpoint.objects.bulk_create(
            Endpoint(
                repository=repository,
                name=f"endpoint-{n}",
                url=f"http://127.0.0.1:{port}/health/{n}",
                kind="liveness",
                timeout_s=5,
                expectations={"equals": {"status": "ok"}, "required_keys": ["checks.database"]},
                next_probe_at=timezone.now(),
            )
            for n in range(count)
        )
    return list(Endpoint.objects.filter(repository=repository).values_list("pk", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    ensure_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from readiness.endpoints import services
    from readiness.endpoints.models import ProbeRecord

    call_command("migrate", verbosity=0)
    port_queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(port_queue,), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=10)
        ids = seed(args.count, port)
        print(f"{len(ids)} endpoints on 127.0.0.1:{port}; database {connection.settings_dict['NAME']}")
        for round_number in range(1, args.rounds + 1):
            from readiness.endpoints.models import Endpoint

            Endpoint.objects.filter(pk__in=ids).update(next_probe_at=timezone.now())
            started = time.perf_counter()
            dispatched = services.probes_dispatch_due(enqueue=lambda batch: None)
            dispatch_s = time.perf_counter() - started

            started, cpu = time.perf_counter(), time.process_time()
            records = services.probes_run_batch(endpoint_ids=ids)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            ok = sum(1 for r in records if r.ok)
            print(
                f"round {round_number}: dispatch of {len(dispatched)} due in {dispatch_s:.3f} s; "
                f"probes_run_batch {len(records)} probes ({ok} ok) in {wall:.2f} s = "
                f"{len(records) / wall:.0f} probes/s (CPU {cpu:.2f} s)",
                flush=True,
            )
        started = time.perf_counter()
        rows = services.rollup_hour(hour=timezone.now())
        elapsed = time.perf_counter() - started
        print(f"rollup_hour over {ProbeRecord.objects.count()} records: {rows} rows in {elapsed:.2f} s")
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
