"""Shared test configuration: hypothesis profiles and an optional-PyTorch helper.

Profiles (pick one with the environment variable ``HYPOTHESIS_PROFILE``):
  ``ci``   few examples, derandomized (the same examples every run), no deadline
  ``dev``  the default: more examples, still no deadline (NumPy timings vary on shared machines)
  ``thorough``  many examples, to hunt for bugs before a release
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=8,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def torch():
    """The ``torch`` module, or a clean skip where PyTorch is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def lesson_cache(tmp_path_factory: pytest.TempPathFactory):
    """One data cache for every lesson run of the session (script and notebook alike)."""
    return tmp_path_factory.mktemp("tinygrad_cnn_cache")
