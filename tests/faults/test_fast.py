"""The fast fault experiments (docs/reliability.md) inside make test, on a stack of their own (its
own Redis and PostgreSQL on ports 17200-17999, gunicorn and a prefork worker); make faults runs them
all, longer."""

import pytest

from tests.faults import experiments
from tests.faults.stack import Stack, free_base_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack():
    # A slot of ports free now: two suites on this machine, or make load, do not collide.
    stack = Stack(base_port=free_base_port()).up()
    yield stack
    stack.down()


def test_requests_during_a_redis_outage_answer_202_and_run_once_it_is_back(stack):
    figures = experiments.redis_stopped(stack, outage_s=5, requests=3)
    assert figures["ok"], figures


def test_a_frozen_redis_is_named_by_ready_within_two_seconds_and_costs_requests_little(stack):
    figures = experiments.redis_frozen(stack, freeze_s=5, requests=2)
    assert figures["ok"], figures
    assert figures["slowest_request_s"] < 5


def test_a_pool_process_killed_mid_fetch_takes_its_git_along_and_the_run_is_taken_over(stack):
    figures = experiments.kill_pool_process(stack)
    assert figures["ok"], figures
