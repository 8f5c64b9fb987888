"""``make faults``: every experiment of tests/faults/experiments.py on one stack of its own (its own
Redis and PostgreSQL on ports 17xxx), then the weekly-send, two-beats and soak experiments; one JSON
line per experiment and a summary table. Exit status 0 only when every experiment is ok.

    python -m tests.faults.run_all [--only NAME ...] [--soak-minutes 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def main(argv: list[str] | None = None) -> int:
    from tests.faults import beats, experiments, mail, soak
    from tests.faults.stack import Stack

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="experiment names (default: all)")
    parser.add_argument("--soak-minutes", type=float, default=10)
    parser.add_argument("--out", help="append the JSON lines to this file")
    parser.add_argument("--base-port", type=int, default=17100, help="the stack's ports start here")
    parser.add_argument("--keep-logs", help="copy the stack's logs here when an experiment fails")
    options = parser.parse_args(argv)

    stacked = {**experiments.EXPERIMENTS, "smtp_down_and_crash_mid_send": mail.smtp_down_and_crash_mid_send,
               "two_beats": beats.two_beats}  # fmt: skip
    names = options.only or [*stacked, "soak"]
    results = []
    stack = None
    try:
        for name in names:
            started = time.monotonic()
            try:
                if name == "soak":
                    code = soak.main(["--minutes", str(options.soak_minutes), "--port", "17082"])
                    figures = {"ok": code == 0, "minutes": options.soak_minutes}
                else:
                    if stack is None:
                        stack = Stack(base_port=options.base_port).up()
                    figures = stacked[name](stack)
            except Exception as exc:  # an experiment that breaks is a failed experiment, said plainly
                figures = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                traceback.print_exc()
            figures = {"experiment": name, "seconds": round(time.monotonic() - started, 1), **figures}
            line = json.dumps(figures, default=str)
            print(line, flush=True)
            if options.out:
                with open(options.out, "a") as handle:
                    handle.write(line + "\n")
            results.append(figures)
    finally:
        if stack is not None:
            if options.keep_logs and not all(r["ok"] for r in results):
                import shutil

                shutil.copytree(stack.logs, options.keep_logs, dirs_exist_ok=True)
                print(f"faults: logs kept in {options.keep_logs}", flush=True)
            stack.down()
    print("\nexperiment                      ok     seconds  recovery_s")
    for r in results:
        ok = "yes" if r["ok"] else "NO"
        print(f"{r['experiment']:<30}  {ok:<5}  {r['seconds']:>7}  {r.get('recovery_s', '-')}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
