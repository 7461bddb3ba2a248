"""System tools some tests need (chromium, postgresql): skipped when absent on a developer's machine, required on CI."""

from __future__ import annotations

import pytest

from tests.ops.conftest import require_tool


def test_an_absent_tool_skips_naming_its_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="initdb not found: install Debian's postgresql package"):
        require_tool(None, "initdb", "postgresql")
    assert require_tool("/usr/bin/chromium", "chromium", "chromium") == "/usr/bin/chromium"


def test_on_ci_an_absent_tool_fails(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium not found"):
        require_tool(None, "chromium", "chromium")
