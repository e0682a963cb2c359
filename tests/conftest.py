"""Test-wide settings: 8 virtual CPU devices for sharding tests, a persistent compilation cache."""

import os

os.environ.setdefault("JAX_NUM_CPU_DEVICES", "8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "jax"))

# The longest test files, longest first (durations in BUILD_NOTES.md, "Continuous integration").
_LONGEST_FIRST = ("test_synthetic_agreement.py", "test_study_smoke.py", "test_laws_synthetic.py")


def pytest_collection_modifyitems(config, items):
    """Run files with ``slow`` tests first, the longest known ones at the head, keeping the order
    inside each file. With the two workers of ``scripts/test.sh`` (whole files per worker) a long
    file that starts last leaves the other core idle until it ends; started first, the short
    files fill in beside it."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item):
        name = item.path.name
        first = _LONGEST_FIRST.index(name) if name in _LONGEST_FIRST else len(_LONGEST_FIRST)
        return first, item.path not in slow

    items.sort(key=rank)  # stable: the order within a file is kept
