from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_status_limits():
    """The status limits a process keeps are forgotten around each test (a rolled-back test's
    settings must not reach the next one)."""
    from clientela.retention.lifecycle import forget_limits

    forget_limits()
    yield
    forget_limits()
