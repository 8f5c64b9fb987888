"""How fast does probe_batch go? Probes N endpoints of a local server in one process.

    .venv/bin/python bench/probe_bench.py [--count 1000] [--concurrency 100]

The server runs in a child process (asyncio, one small JSON answer per connection), so the
figure measures the prober, guard and client, not a server sharing our interpreter. Target:
1,000 probes in under 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readiness.probes.guard import AddressPolicy, AllowRule
from readiness.probes.prober import EndpointSpec, probe_batch

BODY = b'{"status": "ok", "database": {"status": "ok"}, "version": "1.0"}'
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


def _serve(port_queue: multiprocessing.Queue) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=2048)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()

    port_queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(port_queue,), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=10)
        policy = AddressPolicy(allow=[AllowRule("127.0.0.1", port, "benchmark server", "bench")])
        specs = [
            EndpointSpec(
                i, f"http://127.0.0.1:{port}/health?n={i}", expectations={"equals": {"status": "ok"}}
            )
            for i in range(args.count)
        ]
        started, cpu_started = time.perf_counter(), time.process_time()
        results = asyncio.run(probe_batch(specs, policy=policy, concurrency=args.concurrency))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        server.terminate()
        server.join()

    failed = [r for r in results if not r.ok]
    rate = len(results) / elapsed
    print(f"{len(results)} probes, concurrency {args.concurrency}: {elapsed:.2f} s, {rate:.0f} probes/s")
    # CPU time is steadier than wall time on a busy machine: it says what one probe costs us.
    print(f"prober CPU time: {cpu:.2f} s ({cpu / len(results) * 1000:.2f} ms a probe)")
    if failed:
        print(f"{len(failed)} failed, e.g. {failed[0].error_class}: {failed[0].error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
