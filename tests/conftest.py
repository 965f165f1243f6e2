"""Shared by every test: pytest rewrites the asserts of the test bed's helpers."""

import pytest

pytest.register_assert_rewrite("testbed")
