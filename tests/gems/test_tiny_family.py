"""The tiny family's training reports progress: what it trains, how far, and the time left."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from assets.gems import tiny_family
from assets.gems.tiny_family import BASE_ID, Member, TrainingProgress, publish_tiny_family


def test_training_logs_what_how_far_and_time_left(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    family = (Member(BASE_ID, None, 3, 10), Member("a/child", BASE_ID, 2, 5))
    with caplog.at_level(logging.INFO, logger=tiny_family.__name__):
        publish_tiny_family(tmp_path, family=family, broken=False)
    lines = [r.getMessage() for r in caplog.records]
    assert "tiny family: training hubscope/tiny-adder (1/2), 0 of 5 steps done" in lines
    assert any(re.fullmatch(r"tiny family: training a/child \(2/2\), 3 of 5 steps done, about \d+ s left", m) for m in lines)
    assert any(re.fullmatch(r"tiny family: 2 checkpoints trained and published in \d+ s", m) for m in lines)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=tiny_family.__name__):
        publish_tiny_family(tmp_path, family=family, broken=False)  # cached: nothing to train, nothing to report
    assert not [r for r in caplog.records if "training" in r.getMessage()]


def test_progress_between_members_reports_the_share_done(caplog: pytest.LogCaptureFixture) -> None:
    progress = TrainingProgress(total_steps=4, every_s=0)
    with caplog.at_level(logging.INFO, logger=tiny_family.__name__):
        progress.start("m", 1, 1)
        progress.step()
        progress.step()
    assert re.fullmatch(r"tiny family: training m \(1/1\), 2 of 4 steps \(50%\), about \d+ s left", caplog.records[-1].getMessage())
