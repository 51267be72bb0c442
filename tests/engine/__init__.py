"""The hull engine tests (a package, so that its conftest does not shadow tests/integration/conftest.py)."""
