"""Hypothesis settings for the property tests.

Failing examples are kept under var/ (git-ignored) so a re-run replays them
first; on CI the search is derandomised so a run cannot fail by luck.
"""
from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

ROOT = Path(__file__).resolve().parents[2]

_ON_CI = os.environ.get("CI") == "true"
settings.register_profile(
    "dana",
    deadline=None,
    print_blob=True,
    **({"derandomize": True} if _ON_CI
       else {"database": DirectoryBasedExampleDatabase(str(ROOT / "var" / "hypothesis"))}),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dana"))
