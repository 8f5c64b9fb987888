"""The embedded broker (readiness/core/fsbroker.py) under concurrent writers and readers: every
message arrives exactly once and no reader ever sees a half-written file (celery/kombu#1551)."""

from __future__ import annotations

import multiprocessing
from queue import Empty

from kombu import Connection

from readiness.core import fsbroker

TRANSPORT = "readiness.core.fsbroker:Transport"


def _options(root) -> dict:
    queue, control = root / "queue", root / "control"
    queue.mkdir(exist_ok=True)
    control.mkdir(exist_ok=True)
    return {"data_folder_in": str(queue), "data_folder_out": str(queue), "control_folder": str(control)}


def _produce(root, start: int, count: int) -> None:
    with Connection("filesystem://", transport=TRANSPORT, transport_options=_options(root)) as conn:
        queue = conn.SimpleQueue("work")
        for n in range(start, start + count):
            queue.put({"n": n, "padding": "x" * 20_000})  # big enough to be caught half-written
        queue.close()


def _consume(root, results, stop) -> None:
    seen = []
    with Connection("filesystem://", transport=TRANSPORT, transport_options=_options(root)) as conn:
        queue = conn.SimpleQueue("work")
        while True:
            try:
                message = queue.get(block=True, timeout=0.05)
            except Empty:
                if stop.is_set():
                    break
                continue
            seen.append(message.payload["n"])
            message.ack()
        queue.close()
    results.put(seen)


def test_concurrent_writers_and_readers_lose_and_double_nothing(tmp_path):
    context = multiprocessing.get_context("spawn")
    results, stop = context.Queue(), context.Event()
    consumers = [context.Process(target=_consume, args=(tmp_path, results, stop)) for _ in range(3)]
    producers = [context.Process(target=_produce, args=(tmp_path, i * 300, 300)) for i in range(3)]
    for process in consumers + producers:
        process.start()
    for process in producers:
        process.join(60)
        assert process.exitcode == 0
    stop.set()
    seen = [n for _ in consumers for n in results.get(timeout=60)]
    for process in consumers:
        process.join(30)
        assert process.exitcode == 0, "a consumer died (a half-written message?)"
    assert sorted(seen) == list(range(900))
    assert not list((tmp_path / "rejected").glob("*")) if (tmp_path / "rejected").exists() else True


def test_an_unreadable_message_is_set_aside_not_raised(tmp_path):
    options = _options(tmp_path)
    # What kombu's own writer can leave; named to sort before the good message.
    (tmp_path / "queue" / "0_bad.work.msg").write_bytes(b"")
    _produce(tmp_path, 0, 1)
    with Connection("filesystem://", transport=TRANSPORT, transport_options=options) as conn:
        queue = conn.SimpleQueue("work")
        assert queue.get(timeout=1).payload["n"] == 0
        queue.close()
    assert [p.name for p in (tmp_path / "rejected").iterdir()] == ["0_bad.work.msg"]


def test_exchange_table_is_replaced_whole(tmp_path):
    target = tmp_path / "table.exchange"
    fsbroker.write_atomically(target, b"[1]")
    fsbroker.write_atomically(target, b"[1, 2]")
    assert target.read_bytes() == b"[1, 2]"
    assert [p.name for p in tmp_path.iterdir()] == ["table.exchange"]


def test_a_connection_and_its_clones_log_no_hostname_warning(tmp_path, caplog):
    """kombu warned "No hostname was supplied. Reverting to default 'localhost'" at every clone of a
    filesystem:// connection (the worker clones it for its consumers and producers)."""
    with Connection("filesystem://", transport=TRANSPORT, transport_options=_options(tmp_path)) as conn:
        queue = conn.SimpleQueue("hostname-test")
        queue.put({"n": 1})
        assert queue.get(timeout=10).payload == {"n": 1}
        queue.close()
        conn.clone().info()
    assert "No hostname" not in caplog.text
