"""`flask engines check` and `flask engines download-detoxify`."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_engines_check_loads_and_runs_each_engine(runner) -> None:
    result = runner.invoke(args=["engines", "check"])
    assert result.exit_code == 0, result.output
    assert '"name": "nudenet"' in result.output
    assert "FACE_FEMALE" in result.output  # the built-in sample photo
    assert "text engine:" in result.output
    assert "alt-profanity-check" in result.output  # TEXT_ENGINE=fallback in tests
    assert "-> danger" in result.output or "-> scam_risk" in result.output


def test_download_detoxify_fails_cleanly_offline(runner, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = runner.invoke(
        args=["engines", "download-detoxify", "--model", "original", "--dest", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "Download failed" in result.output
