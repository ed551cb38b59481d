"""The model table, user overrides, and LangChain's standard `profile`."""

import dataclasses
import logging
import warnings

import pytest
from pydantic import ValidationError

from langchain_qwen_omni import ChatQwenOmni, OmniInputError
from langchain_qwen_omni.profiles import (
    DATA_URL_MAX_BYTES,
    OmniModelProfile,
    get_profile,
    is_realtime_model,
    known_models,
    resolve_profile,
    self_hosted_models,
    to_model_profile,
    with_overrides,
)

KEY = "sk-test"
MB = 1024 * 1024
GB = 1024 * MB


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- the table, checked against the API's documented facts ----------------------


@pytest.mark.parametrize(
    ("model", "context", "max_in", "max_out"),
    [
        ("qwen3.8-omni-flash", 1_000_000, 991_808, 131_072),
        ("qwen3.5-omni-plus", 262_144, 196_608, 65_536),
        ("qwen3.5-omni-plus-2026-03-15", 262_144, 196_608, 65_536),
        ("qwen3-omni-flash", 65_536, 49_152, 16_384),
        ("qwen3-omni-flash-2025-12-01", 65_536, 49_152, 16_384),
        ("qwen3-omni-flash-2025-09-15", 65_536, 49_152, 16_384),
        ("qwen-omni-turbo", 32_768, 30_720, 2_048),
        ("qwen-omni-turbo-latest", 32_768, 30_720, 2_048),
        ("qwen-omni-turbo-2025-03-26", 32_768, 30_720, 2_048),
        ("qwen-omni-turbo-2025-01-19", 32_768, 30_720, 2_048),
        ("qwen2.5-omni-7b", 32_768, 30_720, 2_048),
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


def test_every_documented_family_is_in_the_table() -> None:
    assert set(known_models()) == {
        "qwen3.8-omni-flash",
        "qwen3.5-omni-plus",
        "qwen3.5-omni-plus-2026-03-15",
        "qwen3.5-omni-flash",
        "qwen3.5-omni-flash-2026-03-15",
        "qwen3-omni-flash",
        "qwen3-omni-flash-2025-12-01",
        "qwen3-omni-flash-2025-09-15",
        "qwen-omni-turbo",
        "qwen-omni-turbo-latest",
        "qwen-omni-turbo-2025-03-26",
        "qwen-omni-turbo-2025-01-19",
        "qwen2.5-omni-7b",
        "qwen3-omni-30b-a3b-captioner",
    }
    assert "qwen2.5-omni-3b" in self_hosted_models()  # open weights only
    assert not get_profile("qwen2.5-omni-3b").api_model


def test_documented_media_limits() -> None:
    flash, turbo, open_model = (
        get_profile(m)
        for m in ("qwen3-omni-flash", "qwen-omni-turbo", "qwen2.5-omni-7b")
    )
    assert (flash.audio_max_bytes, flash.audio_max_seconds) == (100 * MB, 1200)
    assert (flash.video_max_bytes, flash.video_max_seconds) == (256 * MB, 150)
    assert (flash.frames_min, flash.frames_max) == (2, 128)
    assert (flash.audio_files_max, flash.video_files_max) == (1, 1)
    assert not flash.mixed_media
    for profile in (turbo, open_model):
        assert (profile.audio_max_bytes, profile.audio_max_seconds) == (10 * MB, 180)
        assert (profile.video_max_bytes, profile.video_max_seconds) == (150 * MB, 40)
        assert (profile.frames_min, profile.frames_max) == (4, 80)
        assert profile.image_token_pixels == 28 * 28
        assert profile.audio_input_tokens_per_second == 25
    for profile in known_models().values():
        assert profile.image_min_side_px == 10
        assert profile.image_max_aspect_ratio == 200
        assert profile.data_url_max_bytes == DATA_URL_MAX_BYTES == 10_485_760
        assert profile.data_urls_max == 250


@pytest.mark.parametrize(
    "model", ["qwen3.8-omni-flash", "qwen3.5-omni-plus", "qwen3.5-omni-flash"]
)
def test_the_new_families_take_any_mix_and_many_files(model: str) -> None:
    profile = get_profile(model)
    assert profile.mixed_media
    assert (profile.audio_files_max, profile.audio_files_max_base64) == (2_048, 250)
    assert (profile.images_max, profile.images_max_base64) == (2_048, 250)
    assert (profile.frames_min, profile.frames_max) == (2, 2_048)
    assert profile.image_max_bytes == 20 * MB
    assert (profile.audio_max_bytes, profile.audio_max_seconds) == (2 * GB, 3 * 3600)
    assert profile.video_max_bytes == 2 * GB
    assert profile.audio_input_tokens_per_second == 7
    assert (profile.image_tokens_min, profile.image_tokens_max) == (24, 1_280)
    assert profile.image_tokens_max_high_resolution == 16_384
    assert profile.web_search
    assert profile.high_resolution_images


def test_qwen3_8_is_text_only_and_thinks_by_default() -> None:
    profile = get_profile("qwen3.8-omni-flash")
    assert not profile.audio_output
    assert profile.voices == ()
    assert profile.thinking == "default"
    assert profile.thinking_controls == {
        "enable_thinking",
        "thinking_budget",
        "reasoning_effort",
        "preserve_thinking",
    }
    assert (profile.video_files_max, profile.video_max_seconds) == (64, 7200)
    assert profile.tool_calling
    assert not profile.uncertain


def test_qwen3_5_speaks_with_tina_and_does_not_think() -> None:
    for name in ("qwen3.5-omni-plus", "qwen3.5-omni-flash"):
        profile = get_profile(name)
        assert profile.audio_output
        assert profile.default_voice == "Tina"
        assert not profile.voices_complete  # 55 voices, one documented by name
        assert profile.thinking == "none"
        assert profile.thinking_controls == frozenset()
        assert (profile.video_files_max, profile.video_files_max_base64) == (512, 250)
        assert profile.video_max_seconds == 3600
        # Published for plus only (M), tools unconfirmed (L): warned, not refused.
        assert {"max_output_tokens", "tool_calling"} <= profile.uncertain


def test_documented_voices_and_capabilities() -> None:
    flash = get_profile("qwen3-omni-flash")
    flash_12 = get_profile("qwen3-omni-flash-2025-12-01")
    flash_09 = get_profile("qwen3-omni-flash-2025-09-15")
    turbo = get_profile("qwen-omni-turbo")
    open_model = get_profile("qwen2.5-omni-7b")
    captioner = get_profile("qwen3-omni-30b-a3b-captioner")
    assert turbo.voices == ("Cherry", "Serena", "Ethan", "Chelsie")
    assert open_model.voices == ("Ethan", "Chelsie")
    assert open_model.default_voice == "Ethan"
    assert open_model.min_max_tokens == 10
    assert "min_max_tokens" in open_model.uncertain
    assert len(flash_09.voices or ()) == 17
    assert flash_09.voices_complete
    assert len(flash.voices or ()) == 49
    assert {"Eldric Sage", "Ono Anna", "Radio Gol"} <= set(flash.voices or ())
    assert not flash.voices_complete  # the docs conflict on the alias: warn only
    assert flash_12.voices == flash.voices
    assert flash_12.voices_complete
    assert flash.thinking == "optional"
    assert flash.thinking_controls == {"enable_thinking", "thinking_budget"}
    assert flash.tool_calling
    assert (flash.thinking_max_input_tokens, flash.max_reasoning_tokens) == (
        16_384,
        32_768,
    )
    assert flash.system_with_audio_output
    assert not turbo.system_with_audio_output
    assert turbo.thinking == "none"
    assert "no longer updated" in turbo.note
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
        ("qwen3.5-omni-plus-2026-09-01", "qwen3.5-omni-plus"),
        ("qwen3.5-omni-flash-latest", "qwen3.5-omni-flash"),
        ("qwen3.5-omni-max", "qwen3.5-omni-plus"),
        ("qwen3.8-omni-flash-2026-12-01", "qwen3.8-omni-flash"),
        ("qwen3.8-omni-plus", "qwen3.8-omni-flash"),
        ("qwen3-omni-flash-2026-01-10", "qwen3-omni-flash"),
    ],
)
def test_names_of_a_known_family_resolve_to_it_quietly(
    caplog: pytest.LogCaptureFixture, model: str, family: str
) -> None:
    with caplog.at_level(logging.WARNING):
        assert get_profile(model).family == family
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("qwen-omni-turbo-preview-test-a", "qwen-omni-turbo"),
        ("qwen2.5-omni-14b-test-a", "qwen2.5-omni-7b"),
        ("qwen3-omni-captioner-test-a", "qwen3-omni-30b-a3b-captioner"),
        ("some-omni-test-a", "qwen3-omni-flash"),
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


@pytest.mark.parametrize(
    "model",
    [
        "qwen3.5-omni-flash-realtime",
        "qwen3-omni-flash-realtime-2025-12-01",
        "qwen-omni-turbo-realtime",
    ],
)
def test_realtime_models_are_refused_by_the_chat_model(model: str) -> None:
    assert is_realtime_model(model)
    with pytest.raises(ValidationError, match="QwenOmniRealtime"):
        ChatQwenOmni(api_key=KEY, model=model)
    with pytest.raises(OmniInputError, match="realtime WebSocket API"):
        ChatQwenOmni(api_key=KEY).invoke("hi", model=model)


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
    assert chat.profile["reasoning_output"] is (omni.thinking != "none")
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
