"""Hypothesis profiles: ``ci`` (the default, a short run inside ``make test``) and ``fuzz``
(``make fuzz``: 100,000 inputs across the parsers, HYPOTHESIS_PROFILE=fuzz)."""

import os

from hypothesis import HealthCheck, settings

# Examples per parser in make fuzz: five pure parsers x 19,000 + the webhook view (through Django
# and the database, slower) x 6,333 = 101,333 inputs.
FUZZ_EXAMPLES = 19_000
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
