"""A worker killed with -9 mid-fetch leaves neither a git process nor a work folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

from readiness.sources import runner, workdir
from tests.sources.gitserver import SilentServer
from tests.sources.processes import gone_within

# A process standing in for a worker: starts a git that hangs on a silent server, then waits.
HANGING_FETCH = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from readiness.sources.runner import Git
    home = Path(tempfile.mkdtemp())
    git = Git(home=home, config=[], timeout_s=120, max_bytes=10**9)
    git.run(["ls-remote", sys.argv[1], sys.argv[2]], cwd=home)
    """
)


def test_git_dies_with_the_process_that_started_it():
    assert runner.SETPRIV, "setpriv (util-linux) is what ties git's life to its worker's"
    server = SilentServer()
    marker = f"marker-{uuid.uuid4().hex}"
    try:
        worker = subprocess.Popen([sys.executable, "-c", HANGING_FETCH, server.url("repo"), marker])
        deadline = time.monotonic() + 20
        while gone_within(0, marker):  # wait for git to start
            assert time.monotonic() < deadline, "git did not start"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        assert gone_within(5, marker), "git kept running after its worker was killed"
    finally:
        server.stop()


def test_a_live_workers_process_groups_are_killed_at_shutdown(tmp_path):
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    with runner._live_lock:
        runner._live_groups.add(proc.pid)
    try:
        assert runner.kill_live_processes() == 1
        assert proc.wait(5) == -signal.SIGKILL
    finally:
        with runner._live_lock:
            runner._live_groups.discard(proc.pid)


def test_folders_of_dead_workers_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    mine = tmp_path / (workdir.run_dir_prefix(1) + "abc")
    orphan = tmp_path / workdir.run_dir_prefix(2).replace(f"pid{os.getpid()}", f"pid{dead.pid}")
    elsewhere = tmp_path / f"run-3-pid{dead.pid}@another-host@x"
    old_style = tmp_path / "run-4-xyz"
    for folder in (mine, orphan, elsewhere, old_style):
        folder.mkdir()
    (orphan / "source").mkdir()
    removed = workdir.clean_orphans(tmp_path)
    assert removed == [orphan.name]
    assert mine.exists() and elsewhere.exists() and old_style.exists()
    later = time.time() + workdir.UNOWNED_MAX_AGE_S + 1
    assert workdir.clean_orphans(tmp_path, now=later) == [old_style.name]


def test_cleaning_a_dead_workers_folder_ends_what_is_left_of_its_git_groups(tmp_path):
    """git's helpers (git-remote-http) outlive a git killed with its worker; the group id noted in the
    run's folder lets the next worker end them (only processes whose command line names git)."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    helper = subprocess.Popen(["bash", "-c", "exec -a git-remote-http sleep 60"], start_new_session=True)
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    folder = tmp_path / workdir.run_dir_prefix(5).replace(f"pid{os.getpid()}", f"pid{dead.pid}")
    (folder / "scratch" / "home").mkdir(parents=True)
    (folder / "scratch" / "home" / f"git-{helper.pid}{runner.PGID_SUFFIX}").write_text(str(helper.pid))
    (folder / "scratch" / "home" / f"git-{bystander.pid}{runner.PGID_SUFFIX}").write_text(str(bystander.pid))
    try:
        assert workdir.clean_orphans(tmp_path) == [folder.name]
        assert helper.wait(5) == -signal.SIGKILL
        assert bystander.poll() is None, "a group without git in it is left alone"
    finally:
        for proc in (helper, bystander):
            proc.kill()
            proc.wait()
