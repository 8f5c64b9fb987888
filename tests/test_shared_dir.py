"""Tests that compare with the shared folder fail, saying how to get it, when it is missing."""

import re

import pytest

from tests import shared_dir


def test_no_shared_folder_fails_with_how_to_get_one(monkeypatch):
    monkeypatch.setattr(shared_dir, "SHARED", None)
    with pytest.raises(pytest.fail.Exception, match=r"\.\./shared .* READINESS_SHARED_DIR"):
        shared_dir.shared_path("checks.md")


def test_a_missing_part_of_it_fails_naming_the_path(monkeypatch, tmp_path):
    monkeypatch.setattr(shared_dir, "SHARED", tmp_path)
    missing = re.escape(f"{tmp_path}/corpus/awesome-compose does not exist")
    with pytest.raises(pytest.fail.Exception, match=missing):
        shared_dir.shared_path("corpus", "awesome-compose")


def test_the_folder_is_found_beside_the_checkout_without_an_absolute_path(monkeypatch, tmp_path):
    monkeypatch.delenv("READINESS_SHARED_DIR", raising=False)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "checks.md").write_text("# checks\n")
    monkeypatch.setattr(shared_dir, "REPO", tmp_path / "wt" / "habits")
    assert shared_dir.shared_dir() == tmp_path / "shared"


def test_a_clean_checkout_elsewhere_uses_the_vendored_copy(monkeypatch, tmp_path):
    monkeypatch.delenv("READINESS_SHARED_DIR", raising=False)
    checkout = tmp_path / "ci" / "main"  # no shared/ in any ancestor
    (checkout / "tests" / "vendor" / "shared").mkdir(parents=True)
    (checkout / "tests" / "vendor" / "shared" / "checks.md").write_text("# checks\n")
    monkeypatch.setattr(shared_dir, "REPO", checkout)
    assert shared_dir.shared_dir() == checkout / "tests" / "vendor" / "shared"


def test_the_vendored_copy_holds_what_the_tests_read():
    vendored = shared_dir.REPO / "tests" / "vendor" / "shared"
    assert (vendored / "checks.md").read_text().count("Version 2") >= 1
    assert len(list((vendored / "seeds").glob("*.txt"))) == 5
    assert (vendored / "corpus" / "awesome-compose" / "LICENSE").is_file()
