"""The model table, user overrides, and LangChain's standard `profile`."""

import dataclasses
import logging
import warnings

import pytest
from pydantic import ValidationError

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.profiles import (
    DATA_URL_MAX_BYTES,
    OmniModelProfile,
    get_profile,
    known_models,
    resolve_profile,
    to_model_profile,
    with_overrides,
)

KEY = "sk-test"
MB = 1024 * 1024


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- the table, checked against the API's documented facts ----------------------


@pytest.mark.parametrize(
    ("model", "context", "max_in", "max_out"),
    [
        ("qwen3-omni-flash", 65_536, 49_152, 16_384),
        ("qwen3-omni-flash-2025-12-01", 65_536, 49_152, 16_384),
        ("qwen3-omni-flash-2025-09-15", 65_536, 49_152, 16_384),
        ("qwen-omni-turbo", 32_768, 30_720, 2_048),
        ("qwen-omni-turbo-latest", 32_768, 30_720, 2_048),
        ("qwen-omni-turbo-2025-03-26", 32_768, 30_720, 2_048),
        ("qwen-omni-turbo-2025-01-19", 32_768, 30_720, 2_048),
        ("qwen2.5-omni-7b", 32_768, 30_720, 2_048),
        ("qwen2.5-omni-3b", 32_768, 30_720, 2_048),
        ("qwen3-omni-30b-a3b-captioner", 65_536, 32_768, 32_768),
    ],
)
def test_documented_token_limits(
    model: str, context: int, max_in: int, max_out: int
) -> None:
    profile = get_profile(model)
    assert (
        profile.context_tokens,
        profile.max_input_tokens,
        profile.max_output_tokens,
    ) == (context, max_in, max_out)


def test_documented_media_limits() -> None:
    flash, turbo, open_model = (
        get_profile(m)
        for m in ("qwen3-omni-flash", "qwen-omni-turbo", "qwen2.5-omni-7b")
    )
    assert (flash.audio_max_bytes, flash.audio_max_seconds) == (100 * MB, 1200)
    assert (flash.video_max_bytes, flash.video_max_seconds) == (256 * MB, 150)
    assert (flash.frames_min, flash.frames_max) == (2, 128)
    for profile in (turbo, open_model):
        assert (profile.audio_max_bytes, profile.audio_max_seconds) == (10 * MB, 180)
        assert (profile.video_max_bytes, profile.video_max_seconds) == (150 * MB, 40)
        assert (profile.frames_min, profile.frames_max) == (4, 80)
    for profile in known_models().values():
        assert profile.image_max_bytes == 10 * MB
        assert profile.image_min_side_px == 10
        assert profile.image_max_aspect_ratio == 200
        assert profile.data_url_max_bytes == DATA_URL_MAX_BYTES == 10_485_760


def test_documented_voices_and_capabilities() -> None:
    flash = get_profile("qwen3-omni-flash")
    flash_09 = get_profile("qwen3-omni-flash-2025-09-15")
    turbo = get_profile("qwen-omni-turbo")
    open_model = get_profile("qwen2.5-omni-3b")
    captioner = get_profile("qwen3-omni-30b-a3b-captioner")
    assert turbo.voices == ("Cherry", "Serena", "Ethan", "Chelsie")
    assert open_model.voices == ("Ethan", "Chelsie")
    assert open_model.default_voice == "Ethan"
    assert len(flash_09.voices or ()) == 17
    assert flash_09.voices_complete
    assert {"Serena", "Chelsie", "Momo", "Vivian"} <= set(flash.voices or ())
    assert not flash.voices_complete  # ~32 undocumented names: never refused
    assert flash.thinking
    assert flash.tool_calling
    assert (flash.thinking_max_input_tokens, flash.max_reasoning_tokens) == (
        16_384,
        32_768,
    )
    assert flash.system_with_audio_output
    assert not turbo.system_with_audio_output
    assert not turbo.thinking
    assert open_model.open_weights
    assert not captioner.audio_output
    assert not captioner.image_input
    assert not captioner.video_input
    assert not captioner.system_message
    assert captioner.single_turn


# --- resolution -----------------------------------------------------------------


def test_dated_snapshots_resolve_without_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert get_profile("qwen-omni-turbo-2026-02-02") is get_profile(
            "qwen-omni-turbo"
        )
        assert get_profile("Qwen3-Omni-Flash-2026-01-10").family == "qwen3-omni-flash"
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("qwen3.5-omni-plus-test-a", "qwen3-omni-flash"),
        ("qwen3.8-omni-flash-test-a", "qwen3-omni-flash"),
        ("qwen-omni-turbo-preview-test-a", "qwen-omni-turbo"),
        ("qwen2.5-omni-14b-test-a", "qwen2.5-omni"),
        ("qwen3-omni-captioner-test-a", "qwen3-omni-30b-a3b-captioner"),
    ],
)
def test_unknown_names_resolve_by_family_with_one_warning(
    caplog: pytest.LogCaptureFixture, model: str, family: str
) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert get_profile(model).family == family
    (message,) = _warnings(caplog)
    assert model in message
    assert "limits=" in message


def test_overrides_replace_fields_and_refuse_unknown_names() -> None:
    turbo = get_profile("qwen-omni-turbo")
    changed = with_overrides(turbo, {"audio_max_seconds": 600, "voices": ["Ava"]})
    assert changed.audio_max_seconds == 600
    assert changed.voices == ("Ava",)
    assert changed.frames_max == turbo.frames_max
    assert turbo.audio_max_seconds == 180  # the table is untouched
    with pytest.raises(ValueError, match="'audio_max_secs'") as info:
        with_overrides(turbo, {"audio_max_secs": 600})
    assert "audio_max_seconds" in str(info.value)  # the valid names are listed


def test_resolve_profile_takes_a_whole_profile_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mine = dataclasses.replace(get_profile("qwen3-omni-flash"), family="my-omni")
    with caplog.at_level(logging.WARNING):
        assert resolve_profile("my-omni-unknown-name-b", mine) is mine
    assert _warnings(caplog) == []
    assert resolve_profile("qwen-omni-turbo") is get_profile("qwen-omni-turbo")


# --- on the chat model ----------------------------------------------------------


def test_chat_model_limits_dict_gives_the_effective_profile() -> None:
    model = ChatQwenOmni(
        api_key=KEY, model="qwen-omni-turbo", limits={"audio_max_seconds": 600}
    )
    assert model.omni_profile.audio_max_seconds == 600
    assert model.omni_profile.video_max_seconds == 40
    assert ChatQwenOmni(api_key=KEY).omni_profile is get_profile("qwen3-omni-flash")


def test_chat_model_limits_profile_is_used_as_given() -> None:
    mine = OmniModelProfile(
        family="qwen9-omni",
        context_tokens=1_000_000,
        max_input_tokens=900_000,
        max_output_tokens=100_000,
        voices=None,
        default_voice="Nova",
        tool_calling=True,
    )
    model = ChatQwenOmni(api_key=KEY, model="qwen9-omni", limits=mine)
    assert model.omni_profile is mine
    assert model.profile is not None
    assert model.profile["max_input_tokens"] == 900_000


def test_chat_model_refuses_unknown_limit_names_at_init() -> None:
    with pytest.raises(ValidationError, match="frames_maximum"):
        ChatQwenOmni(api_key=KEY, limits={"frames_maximum": 10})


@pytest.mark.parametrize("model", sorted(known_models()))
def test_standard_profile_of_every_known_model(model: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Unrecognized keys in model profile"
        chat = ChatQwenOmni(api_key=KEY, model=model)
    omni = chat.omni_profile
    assert chat.profile == to_model_profile(omni)
    assert chat.profile is not None
    assert chat.profile["max_input_tokens"] == omni.max_input_tokens
    assert chat.profile["max_output_tokens"] == omni.max_output_tokens
    assert chat.profile["audio_outputs"] is omni.audio_output
    assert chat.profile["tool_calling"] is omni.tool_calling
    assert chat.profile["reasoning_output"] is omni.thinking
    assert chat.profile["image_inputs"] is omni.image_input
    assert chat.profile["video_inputs"] is omni.video_input
    assert chat.profile["audio_inputs"] is True
    assert chat.profile["pdf_inputs"] is False


def test_standard_profile_follows_limits_overrides() -> None:
    chat = ChatQwenOmni(
        api_key=KEY,
        model="qwen-omni-turbo",
        limits={"tool_calling": True, "max_output_tokens": 8192},
    )
    assert chat.profile is not None
    assert chat.profile["tool_calling"] is True
    assert chat.profile["max_output_tokens"] == 8192
    flash = ChatQwenOmni(api_key=KEY).profile
    assert flash is not None
    assert flash["max_output_tokens"] == 16_384


def test_explicit_standard_profile_wins() -> None:
    chat = ChatQwenOmni(api_key=KEY, profile={"max_input_tokens": 5})
    assert chat.profile == {"max_input_tokens": 5}
