"""The emulator's own table of API facts: names, families, confidence, tokens."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from langchain_qwen_omni.emulator import facts as facts_module
from langchain_qwen_omni.emulator.facts import (
    MODELS,
    UNKNOWN,
    FileCount,
    facts_for,
    judge,
)
from langchain_qwen_omni.emulator.tokens import (
    audio_tokens,
    frame_tokens,
    image_tokens,
    text_tokens,
    video_tokens,
)

DOCUMENTED = {
    "qwen3.8-omni-flash": "qwen3.8-omni-flash",
    "qwen3.5-omni-plus": "qwen3.5-omni-plus",
    "qwen3.5-omni-plus-2026-03-15": "qwen3.5-omni-plus",
    "qwen3.5-omni-flash": "qwen3.5-omni-flash",
    "qwen3.5-omni-flash-2026-03-15": "qwen3.5-omni-flash",
    "qwen3-omni-flash": "qwen3-omni-flash",
    "qwen3-omni-flash-2025-12-01": "qwen3-omni-flash-2025-12-01",
    "qwen3-omni-flash-2025-09-15": "qwen3-omni-flash-2025-09-15",
    "qwen-omni-turbo": "qwen-omni-turbo",
    "qwen-omni-turbo-latest": "qwen-omni-turbo",
    "qwen-omni-turbo-2025-03-26": "qwen-omni-turbo",
    "qwen-omni-turbo-2025-01-19": "qwen-omni-turbo",
    "qwen2.5-omni-7b": "qwen2.5-omni-7b",
    "qwen3-omni-30b-a3b-captioner": "qwen3-omni-30b-a3b-captioner",
}


def test_every_documented_name_and_nothing_else_is_in_the_table() -> None:
    assert {name: f.family for name, f in MODELS.items()} == DOCUMENTED
    assert "qwen2.5-omni-3b" not in MODELS  # self-hosted only


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("QWEN3.5-Omni-Plus", "qwen3.5-omni-plus"),
        ("qwen3.5-omni-plus-2026-09-30", "qwen3.5-omni-plus"),
        ("qwen3.5-omni-flash-2026-09-30", "qwen3.5-omni-flash"),
        ("qwen3.5-omni-max", "qwen3.5-omni-flash"),
        ("qwen3.8-omni-flash-2026-12-01", "qwen3.8-omni-flash"),
        ("qwen3.8-omni-plus", "qwen3.8-omni-flash"),
        ("qwen3-omni-flash-2026-06-01", "qwen3-omni-flash"),
        ("qwen-omni-turbo-2025-09-09", "qwen-omni-turbo"),
        ("qwen9-omni", "unknown"),
        ("qwen2.5-omni-3b", "unknown"),
        ("qwen9-omni-turbo-preview", "unknown"),
    ],
)
def test_names_resolve_by_snapshot_and_family_prefix(name: str, family: str) -> None:
    assert facts_for(name).family == family


def test_per_family_facts_from_the_doc() -> None:
    omni38 = facts_for("qwen3.8-omni-flash")
    assert not omni38.speech_output
    assert omni38.thinking == "default_on"
    assert {"reasoning_effort", "preserve_thinking"} <= omni38.thinking_controls
    assert omni38.max_output_tokens == 131_072
    assert omni38.files["video"] == FileCount(64, 64)
    assert (omni38.web_search, omni38.high_resolution_images) == (True, True)
    plus = facts_for("qwen3.5-omni-plus")
    assert plus.thinking == "none"
    assert not plus.thinking_controls
    assert (plus.default_voice, plus.voices_complete, plus.voice_count) == (
        "Tina",
        False,
        55,
    )
    assert plus.mixed_media
    assert plus.files["audio"] == FileCount(2_048, 250)
    assert plus.files["video"] == FileCount(512, 250)
    assert (plus.frames_min, plus.frames_max) == (2, 2_048)
    assert plus.video_max_seconds == 3_600
    assert plus.audio_max_seconds == 3 * 3_600
    assert facts_for("qwen3.5-omni-flash").max_output_tokens is None  # unpublished
    flash = facts_for("qwen3-omni-flash-2025-12-01")
    assert not flash.mixed_media
    assert flash.files["audio"].total == 1
    assert flash.files["image"].total is None
    assert (flash.frames_min, flash.frames_max) == (2, 128)
    assert flash.thinking_controls == {"enable_thinking", "thinking_budget"}
    turbo = facts_for("qwen-omni-turbo")
    assert (turbo.tools, turbo.max_output_tokens, turbo.frames_min) == (False, 2_048, 4)
    assert facts_for("qwen2.5-omni-7b").min_max_tokens == 10
    captioner = facts_for("qwen3-omni-30b-a3b-captioner")
    assert (captioner.speech_output, captioner.tools) == (False, False)


def test_voice_lists() -> None:
    new = facts_for("qwen3-omni-flash-2025-12-01").voices
    old = facts_for("qwen3-omni-flash-2025-09-15").voices
    assert len(new) == len(set(new)) == 49
    assert len(old) == len(set(old)) == 17
    assert set(old) <= set(new)
    assert {"Eldric Sage", "Ono Anna", "Radio Gol"} <= set(new)
    assert facts_for("qwen-omni-turbo").voices == (
        "Cherry",
        "Serena",
        "Ethan",
        "Chelsie",
    )
    assert facts_for("qwen2.5-omni-7b").voices == ("Ethan", "Chelsie")
    assert facts_for("qwen3.8-omni-flash").voices == ()


def test_confidence_is_kept_per_fact() -> None:
    alias = facts_for("qwen3-omni-flash")
    dated = facts_for("qwen3-omni-flash-2025-12-01")
    assert alias.voices == dated.voices
    assert alias.confidence("voices") == "M"
    assert dated.confidence("voices") == "H"
    assert not alias.binding("voices")
    assert dated.binding("voices")
    plus = facts_for("qwen3.5-omni-plus")
    assert plus.confidence("max_output_tokens") == "M"
    assert plus.confidence("tools") == "L"
    assert plus.confidence("mixed_media") == "H"
    assert facts_for("qwen3.8-omni-flash").confidence("stream_only") == "L"
    assert dated.confidence("data_urls_per_request") == "M"
    assert dated.confidence("audio_max_seconds") == "H"  # the looser reading
    assert facts_for("qwen2.5-omni-7b").confidence("min_max_tokens") == "L"
    captioner = facts_for("qwen3-omni-30b-a3b-captioner")
    assert captioner.confidence("mixed_media") == "L"
    assert captioner.confidence("speech_output") == "H"
    assert UNKNOWN.confidence("speech_output") == "L"


def test_uncertain_facts_name_real_fields_and_say_why() -> None:
    fields = {field.name for field in dataclasses.fields(UNKNOWN)}
    for facts in MODELS.values():
        assert set(facts.uncertain) <= fields, facts.family
        for uncertain in facts.uncertain.values():
            assert uncertain.confidence in ("M", "L")
            assert uncertain.why


def test_judge_refuses_on_h_and_logs_acceptance_on_m_or_l(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dated = facts_for("qwen3-omni-flash-2025-12-01")
    alias = facts_for("qwen3-omni-flash")
    with caplog.at_level(logging.INFO, logger=facts_module.__name__):
        assert judge(dated, "voices", "no such voice") == "no such voice"
        assert not caplog.records
        assert judge(alias, "voices", "no such voice") is None
        assert judge(UNKNOWN, "tools", "no tools") is None
    first, second = (r.getMessage() for r in caplog.records)
    assert "Accepted on qwen3-omni-flash although: no such voice" in first
    assert "voices is M" in first
    assert "tools is L: the model is not in the doc" in second


def test_file_count_total() -> None:
    assert FileCount(2_048, 250).total == 2_048
    assert FileCount(1, 1).total == 1
    assert FileCount(None, None).total is None


# --- token rules --------------------------------------------------------------


def test_image_tokens_follow_pixels_per_token_and_bounds() -> None:
    new = facts_for("qwen3.5-omni-plus").tokens
    flash = facts_for("qwen3-omni-flash").tokens
    turbo = facts_for("qwen-omni-turbo").tokens
    assert image_tokens(320, 320, new) == 100  # 10 x 10 tiles of 32 px
    assert image_tokens(64, 48, new) == 24  # 2 x 2, raised to the minimum
    assert image_tokens(64, 48, flash) == 4  # flash's minimum is 4
    assert image_tokens(280, 280, turbo) == 100  # 28 px tiles
    assert image_tokens(4000, 3000, new) == 1_280
    assert image_tokens(4000, 3000, new, high_resolution=True) == 125 * 94
    assert image_tokens(8000, 8000, new, high_resolution=True) == 16_384
    assert image_tokens(4000, 3000, flash, high_resolution=True) == 1_280


def test_video_and_audio_tokens() -> None:
    new = facts_for("qwen3.5-omni-plus").tokens
    flash = facts_for("qwen3-omni-flash").tokens
    assert frame_tokens(1280, 1280, new) == 640  # capped per frame
    assert frame_tokens(1280, 1280, flash) == 1_280
    assert video_tokens(2.0, 320, 240, new) == 4 * 80  # 2 fps
    assert video_tokens(0.1, 320, 240, new) == 80  # at least one frame
    assert audio_tokens(2.0, new.audio_input_per_second) == 14
    assert audio_tokens(2.0, flash.audio_input_per_second) == 25
    assert (
        audio_tokens(2.0, facts_for("qwen-omni-turbo").tokens.audio_input_per_second)
        == 50
    )
    assert facts_for("qwen3.8-omni-flash").tokens.audio_output_per_second is None
    assert text_tokens("abcde") == 2
