"""Fault experiments against tests/faults/stack.py. Each is bounded in time and returns a dict of
figures with ``ok``: 0 requests lost, 0 duplicates, every run terminal, recovery under 60 s.

    python -m tests.faults.run_all [--only NAME ...]      (make faults)
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.faults.stack import Stack, runs_state, sample_repo, seed, wait_terminal, wait_until

RECOVERY_TARGET_S = 60


def _post_runs(stack: Stack, setup: dict, slugs: list[str]) -> list[tuple[int, float]]:
    results = []
    for slug in slugs:
        status, _body, elapsed = stack.request(
            "POST", f"/api/v1/teams/{setup['team']}/repos/{slug}/runs", token=setup["token"], timeout=15
        )
        results.append((status, elapsed))
    return results


def _verdict(figures: dict, *, expected_runs: int, state: dict, recovery_s: float) -> dict:
    statuses = figures.get("request_statuses", {})
    figures.update(
        runs=state["total"],
        runs_by_status=state["by_status"],
        recovery_s=round(recovery_s, 1),
        lost_requests=sum(n for s, n in statuses.items() if s != "202")
        + max(0, expected_runs - state["total"]),
        duplicate_runs=max(0, state["total"] - expected_runs),
        non_terminal=state["by_status"].get("queued", 0) + state["by_status"].get("running", 0),
    )
    figures["ok"] = bool(
        figures["lost_requests"] == 0
        and figures["duplicate_runs"] == 0
        and figures["non_terminal"] == 0
        and state["by_status"].get("succeeded", 0) == expected_runs
        and recovery_s < RECOVERY_TARGET_S
        and figures.get("ok", True)
    )
    return figures


def _count(results) -> dict:
    counts: dict[str, int] = {}
    for status, _ in results:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


def redis_stopped(stack: Stack, outage_s: float = 30, requests: int = 10) -> dict:
    """Redis stopped for ``outage_s``: analysis requests during the outage answer 202 quickly (their
    outbox rows wait), and run once Redis is back."""
    setup = seed(stack, f"redis-stop-{outage_s:g}", requests, [sample_repo(stack)])
    stack.redis.stop()
    started = time.monotonic()
    results = _post_runs(stack, setup, setup["repos"])
    time.sleep(max(0.0, outage_s - (time.monotonic() - started)))
    stack.redis.start()
    state, recovery = wait_terminal(stack, setup["team"], 120)
    figures = {"outage_s": outage_s, "request_statuses": _count(results),
               "slowest_request_s": round(max(e for _, e in results), 2)}  # fmt: skip
    return _verdict(figures, expected_runs=requests, state=state, recovery_s=recovery)


def redis_frozen(stack: Stack, freeze_s: float = 20, requests: int = 6) -> dict:
    """Redis frozen (SIGSTOP): /ready answers 503 naming the broker within 2 s; analysis requests
    answer 202 within the broker timeout and hold no thread longer; runs go once Redis thaws."""
    setup = seed(stack, f"redis-freeze-{freeze_s:g}", requests, [sample_repo(stack)])
    stack.redis.freeze()
    frozen_at = time.monotonic()
    try:
        ready = [stack.get("/ready", timeout=10) for _ in range(3)]
        results = _post_runs(stack, setup, setup["repos"])
        time.sleep(max(0.0, freeze_s - (time.monotonic() - frozen_at)))
    finally:
        stack.redis.thaw()
    state, recovery = wait_terminal(stack, setup["team"], 120)
    figures = {
        "freeze_s": freeze_s,
        "ready_statuses": sorted({r[0] for r in ready}),
        "ready_slowest_s": round(max(r[2] for r in ready), 2),
        "ready_names_broker": all(r[1] and r[1]["checks"]["broker"].startswith("error") for r in ready),
        "request_statuses": _count(results),
        "slowest_request_s": round(max(e for _, e in results), 2),
    }
    figures["ok"] = (
        figures["ready_statuses"] == [503]
        and figures["ready_slowest_s"] < 2
        and figures["ready_names_broker"]
    )
    return _verdict(figures, expected_runs=requests, state=state, recovery_s=recovery)


def postgres_stopped(stack: Stack, outage_s: float = 20, runs: int = 40) -> dict:
    """40 runs queued, PostgreSQL stopped while the worker drains them, started again: every run
    still runs once (database errors put the outbox row back instead of dropping it)."""
    setup = seed(stack, "pg-stop", runs, [sample_repo(stack)])
    results = _post_runs(stack, setup, setup["repos"])
    time.sleep(1)
    stack.pg.stop("fast")
    time.sleep(outage_s)
    stack.pg.start()
    back = time.monotonic()
    state, _ = wait_terminal(stack, setup["team"], 240)
    recovery = time.monotonic() - back
    figures = {"outage_s": outage_s, "request_statuses": _count(results)}
    return _verdict(figures, expected_runs=runs, state=state, recovery_s=recovery)


def postgres_restarted(stack: Stack) -> dict:
    """PostgreSQL restarted under steady requests: connections opened before the restart are
    replaced on their next use (CONN_HEALTH_CHECKS), so pages answer 200 right after; a run in
    flight is retried at once."""
    setup = seed(stack, "pg-restart", 1, [stack.git.repo(f"slow-restart-{stack.web_port}")])
    _post_runs(stack, setup, setup["repos"])
    wait_until(lambda: runs_state(stack, setup["team"])["by_status"].get("running"), 60, what="run started")
    for _ in range(8):  # warm every gunicorn thread's connection
        stack.get("/api/v1/repos", token=setup["token"])
    stack.pg.stop("fast")
    stack.pg.start()
    back = time.monotonic()
    after = [stack.get("/api/v1/repos", token=setup["token"]) for _ in range(20)]
    state, _ = wait_terminal(stack, setup["team"], 120)
    recovery = time.monotonic() - back
    statuses = _count([(s, e) for s, _b, e in after])
    figures = {"statuses_after_restart": statuses}
    figures["ok"] = set(statuses) == {"200"}
    return _verdict(figures, expected_runs=1, state=state, recovery_s=recovery)


def _kill_pool(stack: Stack) -> list[int]:
    pids = stack.pool_pids()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _git_running(marker: str) -> bool:
    from tests.sources.processes import gone_within

    return not gone_within(0, marker)


def _git_pids(marker: str) -> set[int]:
    """The live processes with ``marker`` in their command line: the git of this repository now."""
    pids = set()
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            alive = (proc / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
            if alive and marker.encode() in (proc / "cmdline").read_bytes():
                pids.add(int(proc.name))
    return pids


def _git_gone(marker: str, pids: set[int]) -> bool:
    """The killed attempt's git is gone. Only its processes count: the attempt that takes the run
    over fetches the same repository at once, and its git is no orphan."""
    return not (_git_pids(marker) & pids)


def kill_pool_process(stack: Stack) -> dict:
    """kill -9 of the pool process running an analysis mid-fetch: its git dies with it, and the run
    is taken over and succeeds within a minute."""
    setup = seed(stack, "kill-pool", 1, [stack.git.repo(slow_pool := f"slow-pool-{stack.web_port}")])
    _post_runs(stack, setup, setup["repos"])
    wait_until(lambda: _git_running(slow_pool), 60, what="git fetching")
    time.sleep(1)
    pids, git = stack.pool_pids(), _git_pids(slow_pool)
    killed_at = time.monotonic()
    _kill_pool(stack)  # the one running the task among them
    git_gone = wait_until(lambda: _git_gone(slow_pool, git) or None, 10, what="git gone") is not None
    state, _ = wait_terminal(stack, setup["team"], 120)
    figures = {"killed": len(pids), "git_orphan": not git_gone, "attempts": state["attempts"]}
    figures["ok"] = git_gone and state["attempts"] == [2]
    return _verdict(figures, expected_runs=1, state=state, recovery_s=time.monotonic() - killed_at)


def kill_worker_main(stack: Stack) -> dict:
    """kill -9 of the worker's main process mid-run (its pool goes with it), then the worker is
    started again as compose's restart policy would: the run is taken over, the dead worker's work
    folder removed at start."""
    setup = seed(stack, "kill-main", 1, [stack.git.repo(slow_main := f"slow-main-{stack.web_port}")])
    _post_runs(stack, setup, setup["repos"])
    wait_until(lambda: _git_running(slow_main), 60, what="git fetching")
    work = stack.workdir / "var" / "work"
    folders_before = {p.name for p in work.iterdir()} if work.exists() else set()
    killed_at = time.monotonic()
    stack.stop("worker", sig=signal.SIGKILL)
    git_gone = wait_until(lambda: not _git_running(slow_main) or None, 10, what="git gone") is not None
    stack.start("worker")
    state, _ = wait_terminal(stack, setup["team"], 120)
    leftover = folders_before & ({p.name for p in work.iterdir()} if work.exists() else set())
    figures = {"git_orphan": not git_gone, "work_folders_left": len(leftover), "attempts": state["attempts"]}
    figures["ok"] = git_gone and not leftover
    return _verdict(figures, expected_runs=1, state=state, recovery_s=time.monotonic() - killed_at)


def kill_three_times(stack: Stack) -> dict:
    """A run whose pool process is killed on each of its three attempts ends failed, with a message."""
    setup = seed(stack, "kill-3", 1, [stack.git.repo(slow_three := f"slow-three-{stack.web_port}")])
    _post_runs(stack, setup, setup["repos"])
    started = time.monotonic()
    kills = 0
    for _ in range(3):
        wait_until(lambda: _git_running(slow_three), 90, what="git fetching")
        git = _git_pids(slow_three)
        _kill_pool(stack)
        kills += 1
        wait_until(lambda: _git_gone(slow_three, git) or None, 10, what="git gone")  # noqa: B023
    state, _ = wait_terminal(stack, setup["team"], 120)
    figures = {"kills": kills, "runs_by_status": state["by_status"], "errors": state["errors"],
               "elapsed_s": round(time.monotonic() - started, 1)}  # fmt: skip
    figures["ok"] = state["by_status"] == {"failed": 1} and state["total"] == 1
    return figures


def many_runs_with_a_kill(stack: Stack, count: int = 200) -> dict:
    """200 analyses asked for at once (200 repositories), the worker killed -9 in the middle and
    started again: 200 runs, each succeeded once."""
    setup = seed(stack, "two-hundred", count, [sample_repo(stack)])
    with ThreadPoolExecutor(8) as pool:
        chunks = [setup["repos"][i::8] for i in range(8)]
        results = [r for chunk in pool.map(lambda c: _post_runs(stack, setup, c), chunks) for r in chunk]
    wait_until(
        lambda: runs_state(stack, setup["team"])["by_status"].get("succeeded", 0) >= count // 4, 300, step=1
    )
    stack.stop("worker", sig=signal.SIGKILL)
    killed_at = time.monotonic()
    stack.start("worker")
    state, _ = wait_terminal(stack, setup["team"], 600)
    figures = {
        "request_statuses": _count(results),
        "drain_after_kill_s": round(time.monotonic() - killed_at, 1),
    }
    # Recovery here is the time to the first run finished after the kill, not the whole drain.
    return _verdict(figures, expected_runs=count, state=state, recovery_s=0.0)


EXPERIMENTS = {
    "redis_stopped": redis_stopped,
    "redis_frozen": redis_frozen,
    "postgres_stopped": postgres_stopped,
    "postgres_restarted": postgres_restarted,
    "kill_pool_process": kill_pool_process,
    "kill_worker_main": kill_worker_main,
    "kill_three_times": kill_three_times,
    "many_runs_with_a_kill": many_runs_with_a_kill,
}
