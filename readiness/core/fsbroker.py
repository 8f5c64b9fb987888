"""``make run``'s embedded broker: kombu's filesystem transport without its read/write races.

kombu's transport (5.7) creates a message file, then locks it, then writes it; a consumer moves the
file away without looking at the lock and reads it, so it can read an empty or half-written file and
raise ``JSONDecodeError`` out of ``drain_events``, which stops the worker (celery/kombu#1551). The
exchange tables have the same flaw: ``open("wb")`` truncates before the lock is taken, so a reader
can see an empty table. After about nine minutes of ``make run`` one of these killed the worker and
honcho stopped everything.

Here every file is written whole under a name consumers skip, then renamed into place (rename is
atomic within one file system), so a reader sees the old file, the new one or none, never a part.
A consumer takes a message by renaming it into a ``processing`` folder beside the queue (one
rename wins; kombu's ``shutil.move`` to /tmp becomes copy-and-delete across file systems, which two
consumers can both win). A file that still does not decode (left by an older writer or a crash) is
set aside in ``rejected`` with a warning instead of stopping the worker: the outbox relay
(readiness/core/outbox.py) publishes its work again.
"""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

TEMP_PREFIX = ".incoming-"  # never matches "<queue>.msg", so consumers skip half-written files


def write_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to a temporary file in the same folder, flush it, then rename it onto ``path``."""
    path = Path(path)
    temp = path.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


class Channel(filesystem.Channel):
    @property
    def _processing_folder(self) -> Path:
        folder = Path(self.data_folder_in).parent / "processing"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def _rejected_folder(self) -> Path:
        folder = Path(self.data_folder_in).parent / "rejected"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # Messages ------------------------------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            write_atomically(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.startswith(TEMP_PREFIX) or name.partition(".")[2] != wanted:
                continue
            taken = self._processing_folder / name
            try:
                os.rename(os.path.join(self.data_folder_in, name), taken)  # one consumer wins
            except FileNotFoundError:
                continue  # another consumer took it first
            try:
                raw = taken.read_bytes()
                payload = loads(bytes_to_str(raw))
            except (OSError, ValueError) as exc:
                logger.warning("broker message %s could not be read (%s); set aside", name, exc)
                with suppress(OSError):
                    os.replace(taken, self._rejected_folder / name)
                continue
            taken.unlink(missing_ok=True)
            return payload
        raise Empty()

    # Exchange tables (fanout and topic bindings) -------------------------------------------------

    @contextmanager
    def _table_lock(self, file: Path):
        """Writers of one table take turns (read, change, replace); readers need no lock."""
        with open(file.with_name(file.name + ".lock"), "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _read_table(self, file: Path) -> list:
        try:
            text = bytes_to_str(file.read_bytes())
        except FileNotFoundError:
            return []
        try:
            return [filesystem.exchange_queue_t(*q) for q in loads(text)] if text.strip() else []
        except (ValueError, TypeError):
            logger.warning("exchange table %s could not be read; treated as empty", file.name)
            return []

    def get_table(self, exchange):
        return self._read_table(self._exchange_file(exchange))

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(file):
            queues = self._read_table(file)
            if entry not in queues:
                write_atomically(file, str_to_bytes(dumps([entry, *queues])))

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        filesystem.virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        file = self._exchange_file(exchange)
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(file):
            queues = self._read_table(file)
            if entry in queues:
                write_atomically(file, str_to_bytes(dumps([q for q in queues if q != entry])))


class Transport(filesystem.Transport):
    Channel = Channel

    @property
    def default_connection_params(self):
        # A folder has no host: without this, every clone of the connection (the worker's banner,
        # its consumers, each producer) logged kombu's "No hostname was supplied. Reverting to
        # default 'localhost'" warning.
        return {"port": self.default_port}
