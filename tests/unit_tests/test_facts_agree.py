"""The emulator's facts table and the client's profiles agree where both speak.

The emulator is written from the public docs on its own (`emulator.facts`) so
that a wrong fact in the client is seen here instead of being mirrored by the
test server. For every model name the emulator's table gives, each fact that
both sides define is compared: facts the doc marks L (a single report) are
left out, since neither side can be shown wrong on them; M facts are compared.

`FACT_TO_PROFILE` is the only place that knows the client's attribute names:
when the client's profiles change shape, change that mapping (and
`normalized`).
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
    "thinking_controls": "thinking_controls",
    "web_search": "web_search",
    "high_resolution_images": "high_resolution_images",
    "mixed_media": "mixed_media",
    "min_max_tokens": "min_max_tokens",
    "voice_count": "voices_total",
}
"""Emulator fact name -> the client's `OmniModelProfile` attribute."""

_TOKEN_RULES = {
    "image_pixels_per_token": "image_token_pixels",
    "image_min_tokens": "image_tokens_min",
    "image_max_tokens": "image_tokens_max",
    "image_max_tokens_high_resolution": "image_tokens_max_high_resolution",
    "audio_input_per_second": "audio_input_tokens_per_second",
    "audio_output_per_second": "audio_output_tokens_per_second",
    "video_fps": "video_fps",
}
"""The emulator's token rules -> the client's attributes."""


def _client_files(profile: Any, kind: str) -> tuple[int | None, int | None]:
    """`(files, inline files)` per request; no inline cap means the total."""
    prefix = "images" if kind == "image" else f"{kind}_files"
    total = getattr(profile, f"{prefix}_max")
    inline = getattr(profile, f"{prefix}_max_base64")
    return total, inline if inline is not None else total


def nested(facts: FamilyFacts, profile: Any) -> dict[str, tuple[Any, Any]]:
    """Files per request and token rules, as `{name: (emulator, client)}` pairs."""
    pairs: dict[str, tuple[Any, Any]] = {}
    if facts.confidence("files") != "L":
        for kind, count in facts.files.items():
            if (count.by_url, count.by_base64) != (None, None):
                ours = (count.by_url, count.by_base64)
                pairs[f"files.{kind}"] = (ours, _client_files(profile, kind))
    if facts.confidence("tokens") != "L":
        for rule, attribute in _TOKEN_RULES.items():
            ours = getattr(facts.tokens, rule)
            if rule == "image_pixels_per_token":  # the emulator keeps the side
                ours = ours * ours
            pairs[f"tokens.{rule}"] = (ours, getattr(profile, attribute))
    return pairs


def normalized(fact: str, value: Any) -> Any:
    """Bring both sides' values to one comparable form."""
    if fact == "thinking":  # the emulator says "default_on", the client "default"
        return {"default_on": "default"}.get(value, value)
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
    found.update(
        (name, pair)
        for name, pair in nested(facts, profile).items()
        if pair[0] != pair[1]
    )
    return found


@pytest.mark.parametrize("model", MODELS)
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
    wrong = dataclasses.replace(agreeing, frames_max=80, thinking="none")
    assert disagreements(dated, wrong) == {
        "frames_max": (128, 80),
        "thinking": ("optional", "none"),
    }
    turbo = facts_for("qwen-omni-turbo")  # its default voice is L
    other_voice = dataclasses.replace(get_profile("qwen-omni-turbo"), default_voice="X")
    assert disagreements(turbo, other_voice) == {}
