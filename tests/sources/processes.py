"""Looking at running processes the way ``ps`` does, through /proc."""

import time
from pathlib import Path


def gone_within(seconds: float, text: str) -> bool:
    """True once no process has ``text`` in its command line (SIGKILLed children take a moment)."""
    deadline = time.monotonic() + seconds
    while _processes_running(text):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _processes_running(text: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                return True
        except OSError:
            continue
    return False
