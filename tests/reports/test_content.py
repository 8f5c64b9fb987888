"""The e-mail's words, from plain data: subjects, a repository's move, what to do next, durations,
coverage and uptime figures."""

from types import SimpleNamespace

from readiness.reports import content
from readiness.reports.services import team_label


def score(value, level=""):
    return {"value": value, "text": "not analysed yet" if value is None else f"{value:.1f}", "level": level}


def row(name, before, after, *, failing=(), fixed=(), added=(), reviewed=()):
    r = {
        "name": name,
        "before": before,
        "after": after,
        "changes": {
            "failing": list(failing),
            "fixed": list(fixed),
            "added": list(added),
            "reviewed": list(reviewed),
        },
    }
    r["movement"] = content.movement(before, after, r["changes"])
    return r


def test_the_subject_names_regressions_first_then_progress_then_no_change():
    api = row("api", score(8.1, "silver"), score(6.0, "silver"))
    worker = row("worker", score(7.0, "silver"), score(7.0, "bronze"))
    web = row("web", score(4.0), score(6.5, "bronze"))
    assert (
        content.summary([api, worker, web]) == "2 repositories got worse: api 8.1 → 6.0, worker lost Silver"
    )
    assert content.summary([web]) == "1 repository got better: web 4.0 → 6.5 (reached Bronze)"
    same = row("db", score(5.0), score(5.0))
    never = row("new", score(None), score(None))
    assert content.summary([same, never]) == "no change"
    assert [r["movement"] for r in (same, never)] == ["same", "unscored"]
    first = row("fresh", score(None), score(7.5))
    assert content.summary([same, first]) == "first scores: fresh 7.5"
    many = [row(n, score(9.0), score(8.0)) for n in ("a", "b", "c", "d")]
    assert content.summary(many) == "4 repositories got worse: a 9.0 → 8.0, b 9.0 → 8.0 and 2 more"


def test_a_newly_failing_check_makes_a_repository_worse_even_when_its_score_rose():
    group = content.CheckGroup("dockerfile.non_root_user", "Non-root", "fail", "bronze")
    mixed = row("api", score(5.0), score(6.0), failing=[group])
    assert mixed["movement"] == "worse"
    assert content.change_phrase(mixed) == "api 5.0 → 6.0"
    flat = row("db", score(5.0), score(5.0), failing=[group])
    assert content.change_phrase(flat) == "db: 1 check newly failing"
    assert content.delta_text(row("x", score(8.1, "silver"), score(6.0))) == "8.1 → 6.0, lost Silver"
    assert content.delta_text(row("x", score(None), score(7.5))) == "7.5 (new)"
    assert content.delta_text(row("x", score(5.0), score(5.0))) == "5.0, unchanged"


def test_items_compare_by_verdict_and_na_to_pass_is_added():
    item = lambda key, checks, level="bronze", manual=False: SimpleNamespace(  # noqa: E731
        key=key, title=key.title(), checks=checks, level=level, manual=manual, fix="Do it.\nDetails."
    )
    items = [
        item("root", ["c.root"]),
        item("also-root", ["c.root"], level="gold"),
        item("health", ["c.health"], level="silver"),
        item("cache", ["c.cache"], level="gold"),
        item("backup", [], level="silver", manual=True),
    ]
    before = {
        "items": {"root": "pass", "also-root": "pass", "health": "fail", "cache": "na", "backup": "todo"}
    }
    after = {
        "items": {"root": "fail", "also-root": "fail", "health": "warn", "cache": "pass", "backup": "done"}
    }
    files = [{"file": "b/Dockerfile"}, {"file": "Dockerfile"}]
    result = SimpleNamespace(title="Runs as root", evidence=files, remediation="")
    changes = content.compare_items(
        items=items,
        before=before,
        after=after,
        before_checks={"c.root": "pass", "c.health": "fail", "c.cache": "na"},
        after_checks={"c.root": "fail", "c.health": "warn", "c.cache": "pass"},
        results={"c.root": result},
        item_url=lambda key: f"#item-{key}",
    )
    [failing] = changes["failing"]  # one check, two items: one entry
    assert (failing.check_id, failing.title, failing.items, failing.files) == (
        "c.root", "Runs as root", ["Root", "Also-Root"], ["Dockerfile", "b/Dockerfile"]
    )  # fmt: skip
    assert (failing.level, failing.fix, failing.url) == ("bronze", "Do it.", "#item-root")
    assert [g.check_id for g in changes["fixed"]] == ["c.health"]  # fail -> warn is better
    assert changes["added"] == ["Cache"] and changes["reviewed"] == ["Backup"]


def test_next_steps_put_level_gates_first_then_weight_times_repositories():
    def failing(check, level):
        return content.CheckGroup(check, check, "fail", level, fix="f", url="u")

    x, y, z = ("gold.x", "gold"), ("silver.y", "silver"), ("gold.z", "gold")
    rows = [
        {"name": "a", "after": score(5.0, "bronze"), "failing_now": [failing(*x), failing(*y)]},
        {"name": "b", "after": score(5.0, "silver"), "failing_now": [failing(*x)]},
        {"name": "c", "after": score(5.0, "bronze"), "failing_now": [failing(*x), failing(*z)]},
    ]
    steps = content.next_steps(rows)
    assert [s["check_id"] for s in steps] == ["gold.x", "silver.y", "gold.z"]
    assert steps[0]["gates"] == ["Gold for b"] and steps[0]["repositories"] == ["a", "b", "c"]
    assert steps[1]["gates"] == ["Silver for a"] and steps[2]["gates"] == []


def test_durations_coverage_and_uptime_read_as_measured():
    assert content.duration_text(45) == "45 s"
    assert content.duration_text(12 * 60) == "12 min"
    assert content.duration_text(3 * 3600 + 5 * 60) == "3 h 5 min"
    assert content.duration_text(2 * 86400 + 4 * 3600) == "2 days 4 h"
    assert content.coverage_text(6 * 60) == "6 minutes"
    assert content.coverage_text(5 * 3600) == "5 hours"
    assert content.coverage_text(6 * 86400) == "6 days"
    assert content.coverage_text(6.5 * 86400) == "6.5 days"
    assert content.coverage_text(86400) == "1 day"
    assert content.uptime_text(8616, 8640) == "99.7%"
    assert content.uptime_text(9999, 10000) == "99.9%"  # never rounded up to 100%
    assert content.uptime_text(4, 6) == "66.6%"
    assert content.uptime_text(0, 0) == "n/a"


def test_team_label():
    assert team_label("Payments") == "Payments team"
    assert team_label("Platform Team") == "Platform Team"
