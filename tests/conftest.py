"""Test tiers: every test carries exactly one of ``unit``, ``integration`` or ``e2e``.

The tier is the folder the test lives in (``tests/unit/``, ``tests/integration/``,
``tests/e2e/``), so it cannot be forgotten; a test outside those folders, or one that
also declares a tier of its own, stops the collection. Pick a tier with ``-m``:

    .venv/bin/python -m pytest -m unit          # fast: under 30 s
    .venv/bin/python -m pytest -m "not e2e"     # everything but whole-job runs
"""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e")
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    wrong = []
    for item in items:
        parts = Path(item.path).resolve().relative_to(HERE).parts
        tier = parts[0] if len(parts) > 1 and parts[0] in TIERS else None
        declared = {m.name for m in item.iter_markers() if m.name in TIERS}
        if tier is None or declared - {tier}:
            wrong.append(f"{item.nodeid}: folder tier {tier}, declared {sorted(declared)}")
            continue
        item.add_marker(getattr(pytest.mark, tier))
    if wrong:
        raise pytest.UsageError(
            f"tests must sit in exactly one tier folder ({', '.join(TIERS)}):\n" + "\n".join(wrong)
        )
