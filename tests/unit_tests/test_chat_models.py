"""ChatQwenOmni configuration, identity and request building (no network)."""

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
    model = ChatQwenOmni(api_key=KEY, region=region)
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
        ChatQwenOmni(api_key=KEY, modalities=["text", "video"])


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
