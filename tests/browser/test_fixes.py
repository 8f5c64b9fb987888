"""The automatic fix of a finding, shown as a diff on the repository page and the checklist, copied
with its button in real headless Chromium (static/js/copy.js: no inline script under the CSP)."""

import pytest
from playwright.sync_api import expect

from readiness.pipeline.analysis import analysis_execute
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, CheckResult, RunStatus
from tests.factories import MembershipFactory

from .test_checklists import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_fix_is_shown_as_a_diff_and_copied(page, live_server, sample_repo_dir, tmp_path):
    member = MembershipFactory(role="engineer", team__slug="payments")
    repository = repository_register(team=member.team, name="sample-service", url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repository)
    analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    result = CheckResult.objects.get(run=run, check_id="dockerfile.non_root_user")
    (fix,) = result.fixes
    assert fix["diff"].startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "+RUN groupadd --system app && useradd --system --gid app --no-create-home app\n" in fix["diff"]

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, member)
    page.goto(f"{live_server.url}/t/payments/r/sample-service/")
    diff = page.locator(f"#fix-{result.pk}-1")
    autofix = page.locator("details.autofix", has=diff)
    autofix.locator("summary").click()
    expect(diff).to_be_visible()
    expect(autofix).to_contain_text(fix["summary"])
    button = autofix.get_by_role("button", name="Copy diff")
    button.click()
    # The clipboard write goes through the browser process: slow on a busy machine.
    expect(button).to_have_attribute("data-copied", "true", timeout=20_000)
    assert page.evaluate("navigator.clipboard.readText()") == fix["diff"]
    autofix.screenshot(path=str(tmp_path / "fix-diff.png"))

    # The checklist item of the check shows the same fix, with its own button.
    page.goto(f"{live_server.url}/t/payments/r/sample-service/checklists/")
    row = page.locator("#item-production-readiness-complete-non-root-user")
    row.locator("details.autofix summary").click()
    page.evaluate("navigator.clipboard.writeText('')")
    copy = row.get_by_role("button", name="Copy diff")
    copy.click()
    expect(copy).to_have_attribute("data-copied", "true", timeout=20_000)
    assert page.evaluate("navigator.clipboard.readText()") == fix["diff"]
    assert page.console_errors == []
