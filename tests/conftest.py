"""Fixtures for every test."""

import pytest

from langchain_qwen_omni import _convert, rules


@pytest.fixture(autouse=True)
def _fresh_repair_warnings() -> None:
    """Each test sees repairs warn as a fresh process would (once per kind)."""
    rules._LOGGED.clear()


@pytest.fixture(autouse=True)
def _fresh_media_measures() -> None:
    """Each test reads and measures its media as a fresh process would."""
    _convert.MEASURES.clear()
