"""Optional `.readiness.yml` at the scan root (skips with reason and expiry, thresholds)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Config:
    skips: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def active_skip(self, check_id: str) -> dict | None:
        return self.skips.get(check_id)


def load_config(project) -> Config:
    # Replaced by the full loader (issue 3); no file means no skips.
    return Config()
