"""ChatQwenOmni(dialect="vllm-omni"): configuration, profiles and the request body.

No network: the bodies are built with `_build_payload`, as the transport
would send them to a `vllm serve <weights> --omni` server.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniInputError,
    audio_block,
    image_block,
    video_block,
    video_frames_block,
)
from langchain_qwen_omni.chat_models import VLLM_OMNI_BASE_URL
from langchain_qwen_omni.model_tables import self_hosted_table_markdown
from langchain_qwen_omni.profiles import (
    SELF_HOSTED_DATA_URL_MAX_BYTES,
    get_profile,
    resolve_profile,
    self_hosted_models,
)
from tests import media

INSTRUCT = "Qwen/Qwen3-Omni-30B-A3B-Instruct"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DASHSCOPE_BASE_URL", "DASHSCOPE_API_BASE", "VLLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-dashscope-secret")


def vllm(**fields: Any) -> ChatQwenOmni:
    return ChatQwenOmni(**{"model": INSTRUCT, "dialect": "vllm-omni", **fields})


def body_of(model: ChatQwenOmni, *content: Any, **call: Any) -> dict[str, Any]:
    blocks: list[Any] = [
        {"type": "text", "text": item} if isinstance(item, str) else item
        for item in content or ("hi",)
    ]
    return model._build_payload([HumanMessage(content_blocks=blocks)], None, **call)


def parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = body["messages"][-1]["content"]
    return content


# --- configuration -----------------------------------------------------------------


def test_the_default_dialect_is_dashscope() -> None:
    model = ChatQwenOmni()
    assert model.dialect == "dashscope"
    assert "dashscope" in str(model.base_url)


def test_vllm_defaults_to_a_local_server_and_never_sends_the_dashscope_key() -> None:
    model = vllm()
    assert model.base_url == VLLM_OMNI_BASE_URL == "http://localhost:8000/v1"
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == "EMPTY"
    assert model._client.api_key == "EMPTY"


def test_vllm_takes_its_key_from_vllm_api_key_or_the_argument(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VLLM_API_KEY", "token-abc")
    assert vllm().api_key.get_secret_value() == "token-abc"  # type: ignore[union-attr]
    given = vllm(api_key="mine", base_url="http://gpu-box:8091/v1")
    assert given.api_key.get_secret_value() == "mine"  # type: ignore[union-attr]
    assert given.base_url == "http://gpu-box:8091/v1"


def test_region_and_whole_answers_are_refused_where_they_mean_nothing() -> None:
    with pytest.raises(ValueError, match="drop region"):
        vllm(region="cn")
    with pytest.raises(ValueError, match="only as a stream"):
        ChatQwenOmni(whole_answers=True)
    with pytest.raises(ValueError, match="not a field name"):
        vllm(voice_fields=["audio voice"])


def test_the_dialect_is_serialized_and_named_in_traces() -> None:
    model = vllm()
    assert model._identifying_params["dialect"] == "vllm-omni"
    assert model._get_ls_params()["ls_provider"] == "vllm"
    assert ChatQwenOmni()._get_ls_params()["ls_provider"] == "dashscope"


def test_no_model_studio_warning_for_open_weights_on_vllm(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        body_of(vllm(model="qwen2.5-omni-3b"))
        body_of(vllm())
    assert not [r for r in caplog.records if "Model Studio" in r.getMessage()]


# --- profiles --------------------------------------------------------------------


def test_open_weights_resolve_to_self_hosted_profiles() -> None:
    instruct = vllm().omni_profile
    assert instruct.family == "qwen3-omni-30b-a3b-instruct"
    assert not instruct.api_model
    assert instruct.voices == ("Ethan", "Chelsie", "Aiden")
    assert instruct.default_voice == "Ethan"
    assert instruct.data_urls_max is None
    assert instruct.data_url_max_bytes == SELF_HOSTED_DATA_URL_MAX_BYTES
    assert (instruct.audio_files_max, instruct.video_files_max) == (None, None)
    assert instruct.mixed_media
    assert not instruct.tool_calling
    assert instruct.context_tokens == instruct.max_model_len == 65_536
    seven = vllm(model="Qwen/Qwen2.5-Omni-7B").omni_profile
    assert seven.family == "qwen2.5-omni-7b"
    assert not seven.api_model  # the API's profile of the same name serves Model Studio
    assert get_profile("qwen2.5-omni-7b").api_model
    assert seven.voices == ("Ethan", "Chelsie")
    assert seven.min_max_tokens == 1  # DashScope's [10, 2048] is not vLLM's
    assert seven.context_tokens == 32_768
    thinking = vllm(model="Qwen/Qwen3-Omni-30B-A3B-Thinking").omni_profile
    assert not thinking.audio_output
    assert thinking.thinking == "default"
    assert set(self_hosted_models()) >= {"qwen3-omni-30b-a3b-captioner"}


def test_a_served_model_name_is_guessed_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        profile = get_profile("my-omni", "vllm-omni")
    assert profile.family == "qwen3-omni-30b-a3b-instruct"
    assert "Unknown Qwen-Omni model 'my-omni'" in caplog.text
    assert get_profile("omni-thinking-test", "vllm-omni").family.endswith("thinking")


def test_max_model_len_lowers_the_token_limits() -> None:
    profile = resolve_profile(INSTRUCT, {"max_model_len": 8192}, "vllm-omni")
    assert (profile.context_tokens, profile.max_input_tokens) == (8192, 8192)
    assert profile.max_output_tokens == 8192
    with pytest.raises(OmniInputError, match="outside"):
        body_of(vllm(limits={"max_model_len": 8192}), max_tokens=9000)
    assert body_of(vllm(), max_tokens=20_000)["max_tokens"] == 20_000


def test_the_readme_self_hosted_table_matches_the_profiles() -> None:
    start, end = "<!-- self-hosted-table:start -->\n", "<!-- self-hosted-table:end -->"
    text = README.read_text(encoding="utf-8")
    assert text.count(start) == 1
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == self_hosted_table_markdown()


# --- the request body ----------------------------------------------------------


def test_modalities_are_always_written_and_the_speaker_goes_in_speaker() -> None:
    assert body_of(vllm())["modalities"] == ["text"]
    assert "speaker" not in body_of(vllm())
    spoken = body_of(vllm(modalities=["text", "audio"]))
    assert spoken["modalities"] == ["text", "audio"]
    assert spoken["speaker"] == "Ethan"  # the profile's default
    assert spoken["audio"] == {"voice": "Ethan", "format": "wav"}
    assert (
        body_of(vllm(), modalities=["text", "audio"], voice="Aiden")["speaker"]
        == "Aiden"
    )
    assert spoken["stream"] is True
    assert spoken["stream_options"] == {"include_usage": True}


def test_the_speaker_field_is_configurable() -> None:
    nested = body_of(vllm(modalities=["text", "audio"], voice_fields=["audio.voice"]))
    assert nested["audio"] == {"voice": "Ethan", "format": "wav"}
    assert "speaker" not in nested
    flat = body_of(vllm(modalities=["text", "audio"], voice_fields=["speaker"]))
    assert flat["speaker"] == "Ethan"
    assert "audio" not in flat
    none = body_of(vllm(modalities=["text", "audio"], voice_fields=[]))
    assert not {"speaker", "voice", "audio"} & set(none)


def test_voices_are_checked_against_vllm_omni_speakers() -> None:
    with pytest.raises(OmniInputError, match="'Ethan', 'Chelsie', 'Aiden'"):
        body_of(vllm(modalities=["text", "audio"], voice="Cherry"))
    with pytest.raises(OmniInputError, match="cannot speak"):
        body_of(
            vllm(model="Qwen/Qwen3-Omni-30B-A3B-Thinking"), modalities=["text", "audio"]
        )


def test_inline_audio_is_raw_base64_and_remote_audio_an_audio_url() -> None:
    wav = media.wav(0.25)
    body = body_of(
        vllm(),
        "listen",
        audio_block(wav),
        {"type": "audio", "url": "https://example.com/q.mp3"},
    )
    inline, remote = parts(body)[1:]
    assert inline["type"] == "input_audio"
    data = inline["input_audio"]["data"]
    assert not data.startswith("data:")
    assert base64.b64decode(data, validate=True) == wav
    assert inline["input_audio"]["format"] == "wav"
    assert remote == {
        "type": "audio_url",
        "audio_url": {"url": "https://example.com/q.mp3"},
    }


def test_an_image_sequence_goes_as_image_parts_in_order() -> None:
    frames = [media.png(16, 16, seed=i) for i in range(3)]
    body = body_of(
        vllm(),
        "what moves?",
        video_frames_block([*frames, "https://example.com/f4.jpg"]),
        image_block(media.jpeg()),
    )
    sent = parts(body)
    assert [p["type"] for p in sent] == ["text", *["image_url"] * 5]
    urls = [p["image_url"]["url"] for p in sent[1:5]]
    for frame, url in zip(frames, urls[:3], strict=True):
        assert url == "data:image/png;base64," + base64.b64encode(frame).decode()
    assert urls[3] == "https://example.com/f4.jpg"
    assert all(p["type"] != "video" for p in sent)
    assert "mm_processor_kwargs" not in body  # frames have no sound to hear


def test_a_video_with_sound_asks_to_hear_it() -> None:
    clip = media.mp4(2.0, audio=True)
    body = body_of(vllm(), "what happens?", video_block(clip))
    video = parts(body)[1]
    assert video["type"] == "video_url"
    assert video["video_url"]["url"].startswith("data:video/mp4;base64,")
    assert body["mm_processor_kwargs"] == {"use_audio_in_video": True}
    remote = body_of(vllm(), {"type": "video", "url": "https://example.com/v.mp4"})
    assert remote["mm_processor_kwargs"] == {"use_audio_in_video": True}


def test_a_silent_video_is_only_seen() -> None:
    body = body_of(vllm(), "what happens?", video_block(media.mp4(2.0, audio=False)))
    assert "mm_processor_kwargs" not in body


def test_the_users_processor_kwargs_win_and_merge() -> None:
    model = vllm(
        model_kwargs={"mm_processor_kwargs": {"use_audio_in_video": False, "fps": 1}}
    )
    body = body_of(model, video_block(media.mp4(2.0)))
    assert body["mm_processor_kwargs"] == {"use_audio_in_video": False, "fps": 1}


def test_thinking_goes_through_the_chat_template() -> None:
    body = body_of(
        vllm(model="Qwen/Qwen3-Omni-30B-A3B-Thinking"), enable_thinking=False
    )
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert "enable_thinking" not in body


def test_whole_answers_ask_for_no_stream() -> None:
    body = body_of(vllm(whole_answers=True))
    assert body["stream"] is False
    assert "stream_options" not in body


def test_mixed_media_stay_in_one_message_and_the_system_prompt_stays() -> None:
    messages = [
        SystemMessage("be brief"),
        HumanMessage(
            content_blocks=[
                {"type": "text", "text": "compare"},
                image_block(media.png()),
                audio_block(media.wav(0.25)),
            ]
        ),
    ]
    body = vllm(modalities=["text", "audio"])._build_payload(messages, None)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert [p["type"] for p in body["messages"][1]["content"]] == [
        "text",
        "image_url",
        "input_audio",
    ]


def test_large_inline_media_are_not_held_to_dashscope_caps() -> None:
    # 12 MB of WAV: over DashScope's 10 MB data URL, fine for a vLLM server.
    body = body_of(vllm(), audio_block(media.wav_of_size(12_000_044)))
    assert len(parts(body)[0]["input_audio"]["data"]) > 10_485_760


# --- tools -----------------------------------------------------------------------


class GetWeather(BaseModel):
    """Get the weather in a city."""

    city: str


def test_tools_need_the_server_to_have_a_tool_parser() -> None:
    with pytest.raises(OmniInputError, match="--enable-auto-tool-choice"):
        vllm().bind_tools([GetWeather])
    model = vllm(limits={"tool_calling": True})
    bound = model.bind_tools([GetWeather])
    body = model._build_payload([HumanMessage("weather?")], None, **bound.kwargs)  # type: ignore[attr-defined]
    assert body["tools"][0]["function"]["name"] == "GetWeather"


def test_the_system_message_stays_with_speech_on_qwen25() -> None:
    messages = [SystemMessage("You are Qwen."), HumanMessage("hi")]
    speaker = vllm(model="Qwen/Qwen2.5-Omni-7B", modalities=["text", "audio"])
    body = speaker._build_payload(messages, None)
    assert body["messages"][0] == {"role": "system", "content": "You are Qwen."}
