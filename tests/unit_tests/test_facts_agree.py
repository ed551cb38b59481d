"""The emulator's facts table and the client's profiles agree where both speak.

The emulator is written from the public docs on its own (`emulator.facts`) so
that a wrong fact in the client is seen here instead of being mirrored by the
test server. For every model name the emulator's table gives, each fact that
both sides define is compared: facts the doc marks L (a single report) are
left out, since neither side can be shown wrong on them; M facts are compared.

`FACT_TO_PROFILE` is the only place that knows the client's attribute names:
when the client's profiles change shape, change that mapping (and
`normalized`). Models the current client gets wrong are marked `xfail(strict)`
so that fixing the client flips them to failures that ask for the mark to go.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from langchain_qwen_omni.emulator.facts import MODELS, FamilyFacts, facts_for
from langchain_qwen_omni.profiles import OmniModelProfile, get_profile

FACT_TO_PROFILE: dict[str, str] = {
    "context_tokens": "context_tokens",
    "max_input_tokens": "max_input_tokens",
    "max_input_tokens_thinking": "thinking_max_input_tokens",
    "max_reasoning_tokens": "max_reasoning_tokens",
    "max_output_tokens": "max_output_tokens",
    "speech_output": "audio_output",
    "thinking": "thinking",
    "default_voice": "default_voice",
    "voices": "voices",
    "voices_complete": "voices_complete",
    "tools": "tool_calling",
    "image_max_bytes": "image_max_bytes",
    "image_min_side_px": "image_min_side_px",
    "image_max_aspect_ratio": "image_max_aspect_ratio",
    "audio_max_bytes": "audio_max_bytes",
    "audio_max_seconds": "audio_max_seconds",
    "video_max_bytes": "video_max_bytes",
    "video_max_seconds": "video_max_seconds",
    "frames_min": "frames_min",
    "frames_max": "frames_max",
    "data_url_max_bytes": "data_url_max_bytes",
}
"""Emulator fact name -> the client's `OmniModelProfile` attribute."""


def normalized(fact: str, value: Any) -> Any:
    """Bring both sides' values to one comparable form."""
    if fact == "thinking":  # "none" / "optional" / "default_on" against a bool
        return value if isinstance(value, bool) else value != "none"
    if fact == "voices":  # order is not a fact
        return frozenset(value)
    return value


def disagreements(facts: FamilyFacts, profile: Any) -> dict[str, tuple[Any, Any]]:
    """`{fact: (emulator's value, client's value)}` where both define a value."""
    found = {}
    for fact, attribute in FACT_TO_PROFILE.items():
        ours = getattr(facts, fact)
        theirs = getattr(profile, attribute, None)
        if ours is None or theirs is None or facts.confidence(fact) == "L":
            continue
        if normalized(fact, ours) != normalized(fact, theirs):
            found[fact] = (ours, theirs)
    return found


CLIENT_IS_BEHIND = {
    "qwen3.8-omni-flash": "no 3.8 profile: resolves to qwen3-omni-flash",
    "qwen3.5-omni-plus": "no 3.5 profile: resolves to qwen3-omni-flash",
    "qwen3.5-omni-plus-2026-03-15": "no 3.5 profile: resolves to qwen3-omni-flash",
    "qwen3.5-omni-flash": "no 3.5 profile: resolves to qwen3-omni-flash",
    "qwen3.5-omni-flash-2026-03-15": "no 3.5 profile: resolves to qwen3-omni-flash",
    "qwen3-omni-flash": "21 of the 49 voices of 2025-12-01",
    "qwen3-omni-flash-2025-12-01": "21 of the 49 voices of 2025-12-01",
}
"""Models the current client profiles get wrong, and how."""


def _cases() -> list[Any]:
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason=CLIENT_IS_BEHIND[name]),
        )
        if name in CLIENT_IS_BEHIND
        else name
        for name in MODELS
    ]


@pytest.mark.parametrize("model", _cases())
def test_client_profile_agrees_with_the_emulator_facts(model: str) -> None:
    assert disagreements(facts_for(model), get_profile(model)) == {}


def test_the_mapping_names_real_attributes_on_both_sides() -> None:
    ours = {field.name for field in dataclasses.fields(FamilyFacts)}
    theirs = {field.name for field in dataclasses.fields(OmniModelProfile)}
    assert set(FACT_TO_PROFILE) <= ours
    assert set(FACT_TO_PROFILE.values()) <= theirs


def test_a_disagreement_is_seen_and_l_facts_are_left_out() -> None:
    dated = facts_for("qwen3-omni-flash-2025-09-15")
    agreeing = get_profile("qwen3-omni-flash-2025-09-15")
    assert disagreements(dated, agreeing) == {}
    wrong = dataclasses.replace(agreeing, frames_max=80, thinking=False)
    assert disagreements(dated, wrong) == {
        "frames_max": (128, 80),
        "thinking": ("optional", False),
    }
    turbo = facts_for("qwen-omni-turbo")  # its default voice is L
    other_voice = dataclasses.replace(get_profile("qwen-omni-turbo"), default_voice="X")
    assert disagreements(turbo, other_voice) == {}
