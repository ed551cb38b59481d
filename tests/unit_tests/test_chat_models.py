"""ChatQwenOmni configuration, identity and request building (no network)."""

from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import HumanMessage, SystemMessage
from syrupy.assertion import SnapshotAssertion

from langchain_qwen_omni import ChatQwenOmni, OmniInputError
from langchain_qwen_omni.chat_models import REGION_BASE_URLS

KEY = "sk-very-secret-0123456789"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    model = ChatQwenOmni(api_key=KEY)
    assert model.model == "qwen3-omni-flash"
    assert model.modalities == ["text"]
    assert model.base_url == REGION_BASE_URLS["intl"]
    assert model.max_retries == 2
    assert model._client.max_retries == 2
    assert str(model._client.base_url).rstrip("/") == REGION_BASE_URLS["intl"]


def test_aliases() -> None:
    model = ChatQwenOmni(
        model_name="qwen-omni-turbo", dashscope_api_key=KEY, api_base="http://h/v1"
    )
    assert model.model == "qwen-omni-turbo"
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == KEY
    assert model.base_url == "http://h/v1"


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_BASE", "http://api-base/v1")
    assert ChatQwenOmni(api_key=KEY).base_url == "http://api-base/v1"
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://base-url/v1")
    assert ChatQwenOmni(api_key=KEY).base_url == "http://base-url/v1"
    assert ChatQwenOmni(api_key=KEY, region="cn").base_url == REGION_BASE_URLS["cn"]
    assert (
        ChatQwenOmni(api_key=KEY, region="cn", base_url="http://x/v1").base_url
        == "http://x/v1"
    )


@pytest.mark.parametrize("region", ["intl", "cn", "us", "hk"])
def test_regions(region: str) -> None:
    model = ChatQwenOmni(api_key=KEY, region=region)  # type: ignore[arg-type]
    assert model.base_url == REGION_BASE_URLS[region]
    assert model.base_url.endswith("/compatible-mode/v1")


def test_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    model = ChatQwenOmni()
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == KEY


def test_missing_key_says_how_to_set_it() -> None:
    with pytest.raises(ValueError, match="DASHSCOPE_API_KEY") as info:
        ChatQwenOmni()
    assert "OmniEmulator" in str(info.value)


def test_key_never_shown() -> None:
    model = ChatQwenOmni(api_key=KEY)
    for text in (repr(model), str(model), dumps(model), str(model._get_ls_params())):
        assert KEY not in text
    assert "DASHSCOPE_API_KEY" in dumps(model)


def test_ls_params() -> None:
    model = ChatQwenOmni(api_key=KEY, temperature=0.3, max_tokens=50, stop=["x"])
    assert model._get_ls_params() == {
        "ls_provider": "dashscope",
        "ls_model_name": "qwen3-omni-flash",
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 50,
        "ls_stop": ["x"],
    }
    assert (
        model._get_ls_params(model="qwen-omni-turbo")["ls_model_name"]
        == "qwen-omni-turbo"
    )


def test_clients_built_once_and_reused() -> None:
    model = ChatQwenOmni(api_key=KEY)
    client, async_client = model._client, model._async_client
    model._build_payload([HumanMessage("hi")], None)
    assert model._client is client
    assert model._async_client is async_client


def test_text_payload() -> None:
    model = ChatQwenOmni(
        api_key=KEY, temperature=0.2, seed=7, model_kwargs={"top_k": 5}
    )
    payload = model._build_payload(
        [SystemMessage("Be brief."), HumanMessage("Hi")], ["END"]
    )
    assert payload == {
        "model": "qwen3-omni-flash",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "seed": 7,
        "stop": ["END"],
        "top_k": 5,
    }


def test_speech_payload_uses_profile_default_voice() -> None:
    payload = ChatQwenOmni(api_key=KEY, modalities=["text", "audio"])._build_payload(
        [HumanMessage("Hi")], None
    )
    assert payload["modalities"] == ["text", "audio"]
    assert payload["audio"] == {"voice": "Cherry", "format": "wav"}
    payload = ChatQwenOmni(
        api_key=KEY, model="qwen2.5-omni-7b", modalities=["text", "audio"]
    )._build_payload([HumanMessage("Hi")], None)
    assert payload["audio"]["voice"] == "Ethan"


def test_stream_is_always_true_even_if_asked_otherwise() -> None:
    model = ChatQwenOmni(api_key=KEY, stream_usage=False)
    payload = model._build_payload([HumanMessage("Hi")], None, stream=False)
    assert payload["stream"] is True
    assert "stream_options" not in payload


def test_speech_with_thinking_is_refused_before_the_network() -> None:
    model = ChatQwenOmni(
        api_key=KEY, modalities=["text", "audio"], enable_thinking=True
    )
    with pytest.raises(OmniInputError, match="enable_thinking"):
        model._build_payload([HumanMessage("Hi")], None)


def test_invalid_modality_is_a_validation_error() -> None:
    with pytest.raises(ValueError, match="modalities"):
        ChatQwenOmni(api_key=KEY, modalities=["text", "video"])  # type: ignore[list-item]


def test_serialization_round_trip(
    monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion
) -> None:
    model = ChatQwenOmni(
        api_key=KEY, modalities=["text", "audio"], voice="Ethan", temperature=0.5
    )
    serialized = dumpd(model)
    assert serialized == snapshot
    assert KEY not in str(serialized)
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    loaded = load(
        serialized,
        allowed_objects=[ChatQwenOmni],
        valid_namespaces=["langchain_qwen_omni"],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatQwenOmni)
    assert loaded.model_dump() == model.model_dump()
    assert loaded.api_key is not None
    assert loaded.api_key.get_secret_value() == KEY


# --- per-call parameters and the new families ---------------------------------


def payload_of(model: ChatQwenOmni, **call: object) -> dict:
    return model._build_payload([HumanMessage("hi")], None, **call)


def test_per_call_voice_modalities_and_audio_are_honoured() -> None:
    text_model = ChatQwenOmni(api_key=KEY)
    assert "audio" not in payload_of(text_model)
    spoken = payload_of(text_model, modalities=["text", "audio"], voice="Ethan")
    assert spoken["modalities"] == ["text", "audio"]
    assert spoken["audio"] == {"voice": "Ethan", "format": "wav"}
    speaker = ChatQwenOmni(api_key=KEY, modalities=["text", "audio"], voice="Cherry")
    assert payload_of(speaker, voice="Ethan")["audio"]["voice"] == "Ethan"
    assert payload_of(speaker, audio={"voice": "Serena"})["audio"]["voice"] == "Serena"
    assert "audio" not in payload_of(speaker, modalities=["text"])


def test_per_call_values_are_checked_like_constructor_values() -> None:
    turbo = ChatQwenOmni(api_key=KEY, model="qwen-omni-turbo")
    with pytest.raises(OmniInputError, match="Voice 'Tina' is not available"):
        payload_of(turbo, modalities=["text", "audio"], voice="Tina")
    with pytest.raises(OmniInputError, match="cannot speak"):
        payload_of(ChatQwenOmni(api_key=KEY, model="qwen3.8-omni-flash"),
                   modalities=["text", "audio"])  # fmt: skip
    with pytest.raises(OmniInputError, match="max_tokens=4096 is outside"):
        payload_of(turbo, max_tokens=4096)


def test_each_family_speaks_with_its_own_default_voice() -> None:
    voices = {
        model: payload_of(
            ChatQwenOmni(api_key=KEY, model=model, modalities=["text", "audio"])
        )["audio"]["voice"]
        for model in ("qwen3.5-omni-plus", "qwen3-omni-flash", "qwen2.5-omni-7b")
    }
    assert voices == {
        "qwen3.5-omni-plus": "Tina",
        "qwen3-omni-flash": "Cherry",
        "qwen2.5-omni-7b": "Ethan",
    }


def test_new_parameters_are_fields_and_per_call_keywords() -> None:
    analyst = ChatQwenOmni(
        api_key=KEY,
        model="qwen3.8-omni-flash",
        reasoning_effort="low",
        preserve_thinking=False,
        enable_search=True,
        search_options={"search_strategy": "agent"},
        vl_high_resolution_images=True,
    )
    sent = payload_of(analyst)
    assert sent["reasoning_effort"] == "low"
    assert sent["preserve_thinking"] is False
    assert sent["enable_search"] is True
    assert sent["search_options"] == {"search_strategy": "agent"}
    assert sent["vl_high_resolution_images"] is True
    assert payload_of(analyst, reasoning_effort="high")["reasoning_effort"] == "high"
    budget = payload_of(analyst, reasoning_effort=None, thinking_budget=256)
    assert budget["thinking_budget"] == 256
    assert "reasoning_effort" not in budget
    with pytest.raises(OmniInputError, match="reasoning_effort is not available"):
        payload_of(ChatQwenOmni(api_key=KEY), reasoning_effort="low")
    with pytest.raises(OmniInputError, match="cannot be combined"):
        payload_of(analyst, thinking_budget=256)


def test_model_kwargs_parameters_are_checked_too() -> None:
    flash = ChatQwenOmni(api_key=KEY, model_kwargs={"enable_search": True})
    with pytest.raises(OmniInputError, match="has no web search"):
        payload_of(flash)
    unknown = ChatQwenOmni(api_key=KEY, model_kwargs={"use_multichannel": True})
    assert payload_of(unknown)["use_multichannel"] is True  # sent as given


def test_n_other_than_one_is_refused_before_the_network() -> None:
    with pytest.raises(OmniInputError, match="one choice per request"):
        payload_of(ChatQwenOmni(api_key=KEY), n=2)


def test_self_hosted_models_warn_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        model = ChatQwenOmni(api_key=KEY, model="qwen2.5-omni-3b")
        payload_of(model)
        payload_of(model)
    warnings = [r.getMessage() for r in caplog.records if "vLLM-Omni" in r.getMessage()]
    assert len(warnings) == 1


# --- token counts -------------------------------------------------------------


def test_token_counts_follow_each_familys_rules(tmp_path) -> None:
    from langchain_qwen_omni import audio_block, image_block, video_block  # noqa: PLC0415
    from tests import media  # noqa: PLC0415

    photo = tmp_path / "photo.png"
    photo.write_bytes(media.png(640, 480))
    sound = tmp_path / "question.wav"
    sound.write_bytes(media.wav(10.0))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(media.mp4(10.0, width=64, height=48))

    def tokens(model: str, block: object, **fields: Any) -> int:
        chat = ChatQwenOmni(api_key=KEY, model=model, **fields)
        return chat.get_num_tokens_from_messages(
            [HumanMessage(content_blocks=[block])]  # type: ignore[list-item]
        )

    assert tokens("qwen3-omni-flash", image_block(photo)) == 300 + 3
    assert tokens("qwen-omni-turbo", image_block(photo)) == 392 + 3  # 28x28 patches
    assert tokens("qwen3-omni-flash", audio_block(sound)) == 125 + 3
    assert tokens("qwen3.5-omni-flash", audio_block(sound)) == 70 + 3
    assert tokens("qwen-omni-turbo", audio_block(sound)) == 250 + 3
    tiny = media.png(8, 16)
    assert tokens("qwen3.5-omni-flash", image_block(tiny)) == 24 + 3  # the minimum
    big = image_block("https://x.test/big.png")
    assert tokens("qwen3-omni-flash", big) == 1_280 + 3  # by URL: the maximum
    assert tokens("qwen3.8-omni-flash", big, vl_high_resolution_images=True) == 16_387
    frames = 20  # 10 s at 2 frames a second
    width, height = 64, 48
    per_frame = max(4, -(-width * height // 1024))  # 3 patches: the minimum, 4
    assert tokens("qwen3-omni-flash", video_block(clip)) == frames * per_frame + 125 + 3
    assert (
        ChatQwenOmni(api_key=KEY).get_num_tokens_from_messages(
            [HumanMessage("What is the capital of France?")]
        )
        == 8 + 3
    )
