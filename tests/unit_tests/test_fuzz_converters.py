"""Fuzzing whole conversations through the converter and the rules.

`test_convert_properties.py` fuzzes single blocks of a user message; here
the unit is the conversation: lists of every message type (system, user,
assistant with tool calls and speech, tool, `ChatMessage` with any role,
types Omni cannot take), content blocks valid and not, request parameters
of every type, every model family, `strict` on and off. Whatever the input,
only a `QwenOmniError` escapes (or LangChain's own validation error when a
message cannot even be built), and an accepted request is plain JSON.
"""

import base64
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import ValidationError

from langchain_qwen_omni import ChatQwenOmni, QwenOmniError
from langchain_qwen_omni._convert import convert_messages
from langchain_qwen_omni._request import OmniRequest, build_params
from langchain_qwen_omni._wire import request_body
from langchain_qwen_omni.media import path_seal
from langchain_qwen_omni.profiles import get_profile, known_models
from langchain_qwen_omni.rules import check_request
from tests import media
from tests.convert import wire_of
from tests.strategies import json_values as shared_json_values

EXAMPLES = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PNG = base64.b64encode(media.png(16, 16)).decode()
TINY_PNG = base64.b64encode(media.png(5, 5)).decode()
WIDE_PNG = base64.b64encode(media.png(2300, 11)).decode()
WAV = base64.b64encode(media.wav(0.05)).decode()
FILE_TOKEN = "<file>"  # noqa: S105 - a placeholder, not a secret
"""Stands for a real local image, put in by the test (strategies are global)."""
SEAL_TOKEN = "<seal>"  # noqa: S105 - replaced by the seal of the block's path

json_values = shared_json_values(max_int=2**40, max_text=6, max_leaves=6)

# --- content blocks -----------------------------------------------------------------

url = st.sampled_from(
    [
        "https://x.test/a.png",
        "https://x.test/a.mp3",
        "https://x.test/v.mp4",
        "http://x.test/noext",
        "file:///etc/hosts",
        "ftp://x.test/a.wav",
        "data:image/png;base64," + PNG,
        "data:;base64," + WAV,
        "data:image/png;base64,@@@",
        "",
    ]
)
frames = st.integers(0, 140).map(
    lambda n: [f"https://x.test/f{i}.jpg" for i in range(n)]
)
blocks = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=8)),
    st.builds(lambda u: {"type": "image", "url": u}, url),
    st.builds(
        lambda data, mime: {"type": "image", "base64": data, "mime_type": mime},
        st.sampled_from([PNG, TINY_PNG, WIDE_PNG, WAV, "not base64"]),
        st.sampled_from(["image/png", "audio/wav", ""]),
    ),
    st.builds(
        lambda mime: {"type": "audio", "base64": WAV, "mime_type": mime},
        st.sampled_from(["audio/wav", "audio/mpeg", "image/png"]),
    ),
    st.builds(lambda u: {"type": "audio", "url": u}, url),
    st.builds(lambda u: {"type": "video", "url": u}, url),
    st.builds(lambda f: {"type": "video", "video": f}, frames),
    st.builds(
        lambda f: {"type": "video", "extras": {"frames": f}},
        frames.map(lambda urls: [{"type": "image", "url": u} for u in urls[:20]]),
    ),
    st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, url),
    st.builds(
        lambda data, fmt: {
            "type": "input_audio",
            "input_audio": {"data": data, "format": fmt},
        },
        st.sampled_from([WAV, "data:;base64," + WAV, "https://x.test/a.mp3", "junk"]),
        st.sampled_from(["wav", "mp3", "", "flac"]),
    ),
    st.just(
        {"type": "image", "extras": {"path": FILE_TOKEN}, "mime_type": "image/png"}
    ),
    st.just(
        {
            "type": "image",
            "extras": {"path": FILE_TOKEN, "seal": SEAL_TOKEN},
            "mime_type": "image/png",
        }
    ),
    st.just({"type": "image", "extras": {"path": FILE_TOKEN + ".missing"}}),
    st.builds(
        lambda kind, rest: {**rest, "type": kind},
        st.one_of(
            st.sampled_from(["image", "audio", "video", "file", "reasoning", ""]),
            json_values,
        ),
        st.dictionaries(
            st.sampled_from(["url", "base64", "mime_type", "id", "video", "data"]),
            json_values,
            max_size=3,
        ),
    ),
)
content = st.one_of(
    st.text(max_size=12),
    st.lists(st.one_of(st.text(max_size=6), blocks), max_size=4),
)

# --- messages -------------------------------------------------------------------------

tool_calls = st.lists(
    st.builds(
        lambda name, args, call_id: {"name": name, "args": args, "id": call_id},
        st.sampled_from(["get_weather", "lookup", ""]),
        st.dictionaries(st.text(max_size=4), json_values, max_size=2),
        st.one_of(st.none(), st.text(max_size=6)),
    ),
    max_size=2,
)
speech = st.one_of(
    st.just({}),
    st.builds(
        lambda data, transcript: {
            "audio": {"id": "audio_1", "data": data, "transcript": transcript}
        },
        st.sampled_from([WAV, "", "%%%"]),
        st.one_of(st.text(max_size=8), json_values),
    ),
)
Spec = tuple[Callable[..., BaseMessage], dict[str, Any]]
messages: st.SearchStrategy[Spec] = st.one_of(
    st.builds(lambda c: (SystemMessage, {"content": c}), content),
    st.builds(lambda c: (HumanMessage, {"content": c}), content),
    st.builds(lambda c: (HumanMessage, {"content": c}), content),
    st.builds(
        lambda c, calls, kwargs: (
            AIMessage,
            {"content": c, "tool_calls": calls, "additional_kwargs": kwargs},
        ),
        content,
        tool_calls,
        speech,
    ),
    st.builds(
        lambda c, call_id: (ToolMessage, {"content": c, "tool_call_id": call_id}),
        content,
        st.text(max_size=6),
    ),
    st.builds(
        lambda role, c: (ChatMessage, {"role": role, "content": c}),
        st.one_of(
            st.sampled_from(["user", "assistant", "system", "tool", "developer"]),
            st.text(max_size=6),
        ),
        content,
    ),
    st.builds(lambda c: (FunctionMessage, {"name": "f", "content": c}), content),
    st.builds(lambda c: (AIMessageChunk, {"content": c}), content),
)
conversations = st.lists(messages, max_size=6)

# --- request parameters and models ---------------------------------------------

MODELS = [*known_models(), "qwen-omni-turbo-2025-03-26", "qwen3.8-omni-flash", "omni"]
parameters = st.fixed_dictionaries(
    {},
    optional={
        "modalities": st.one_of(
            st.sampled_from([["text"], ["text", "audio"], ["audio"], []]), json_values
        ),
        "audio": st.one_of(
            st.fixed_dictionaries(
                {
                    "voice": st.sampled_from(
                        ["Cherry", "Ethan", "Nofish", "Nobody", ""]
                    ),
                    "format": st.sampled_from(["wav", "mp3"]),
                }
            ),
            json_values,
        ),
        "enable_thinking": st.one_of(st.booleans(), json_values),
        "max_tokens": st.one_of(st.integers(-5, 100_000), json_values),
        "temperature": st.one_of(st.floats(0, 2), json_values),
        "tools": st.one_of(
            st.just(
                [{"type": "function", "function": {"name": "f", "parameters": {}}}]
            ),
            json_values,
        ),
    },
)


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("fuzz") / "photo.png"
    path.write_bytes(media.png(16, 16))
    return str(path)


def with_file(value: Any, path: str) -> Any:
    if isinstance(value, str) and value.startswith(FILE_TOKEN):
        return path + value.removeprefix(FILE_TOKEN)
    if isinstance(value, list):
        return [with_file(item, path) for item in value]
    if isinstance(value, dict):
        done = {key: with_file(item, path) for key, item in value.items()}
        if done.get("seal") == SEAL_TOKEN and isinstance(done.get("path"), str):
            done["seal"] = path_seal(done["path"])
        return done
    return value


def _built(spec: Spec, path: str) -> BaseMessage | None:
    factory, fields = spec
    try:
        return factory(**with_file(fields, path))
    except (ValidationError, ValueError, TypeError):
        return None  # LangChain's own validation: not this package's concern


def build(specs: list[Spec], path: str) -> list[BaseMessage]:
    """The messages; an example LangChain refuses to build is rejected."""
    built = [_built(spec, path) for spec in specs]
    assume(all(message is not None for message in built))
    return [message for message in built if message is not None]


def assert_plain_request(payload: dict[str, Any]) -> None:
    assert json.loads(json.dumps(payload)) == payload
    assert payload["stream"] is True
    for message in payload["messages"]:
        assert isinstance(message["role"], str)
        # None: an assistant turn made only of tool calls, as OpenAI sends it
        assert isinstance(message.get("content", ""), (str, list, type(None)))


@EXAMPLES
@given(
    specs=conversations,
    model=st.sampled_from(MODELS),
    params=parameters,
    strict=st.booleans(),
)
def test_any_conversation_converts_and_checks_or_raises_typed(
    image_file: str,
    specs: list[Spec],
    model: str,
    params: dict[str, Any],
    *,
    strict: bool,
) -> None:
    conversation = build(specs, image_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown model names warn once
        profile = get_profile(model)
    try:
        request = OmniRequest(
            model, convert_messages(conversation), build_params(params)
        )
        payload = request_body(check_request(request, profile, strict=strict))
    except QwenOmniError as exc:
        event(f"refused: {type(exc).__name__}")
        refusal = str(exc)
    else:
        event("accepted")
        assert_plain_request(payload)
        return
    assert refusal.strip()


@EXAMPLES
@given(
    specs=conversations,
    model=st.sampled_from(MODELS),
    params=parameters,
    flags=st.fixed_dictionaries({"strict": st.booleans(), "speak": st.booleans()}),
)
def test_the_chat_model_builds_any_request_or_raises_typed(
    image_file: str,
    specs: list[Spec],
    model: str,
    params: dict[str, Any],
    flags: dict[str, bool],
) -> None:
    conversation = build(specs, image_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chat = ChatQwenOmni(
            model=model,
            api_key="x",
            strict=flags["strict"],
            modalities=["text", "audio"] if flags["speak"] else ["text"],
        )
        try:
            payload = chat._build_payload(conversation, None, **params)
        except QwenOmniError as exc:
            event(f"refused: {type(exc).__name__}")
            return
    event("accepted")
    assert_plain_request(payload)


def test_the_file_token_reaches_a_real_file(image_file: str) -> None:
    block = with_file({"extras": {"path": FILE_TOKEN}}, image_file)
    assert Path(block["extras"]["path"]).read_bytes().startswith(b"\x89PNG")


# --- what the fuzzing found, kept as plain regression tests -------------------


def test_assistant_block_with_an_unhashable_type_is_plain_history() -> None:
    (wire,) = wire_of([AIMessage(content=[{"type": []}, "kept"])])
    assert wire == {"role": "assistant", "content": "kept"}


def test_modalities_holding_a_list_are_refused_clearly() -> None:
    chat = ChatQwenOmni(api_key="x")
    with pytest.raises(QwenOmniError, match=r"modalities must be \["):
        chat._build_payload([HumanMessage("hi")], None, modalities=[[]])


def test_messages_cannot_be_smuggled_in_as_a_parameter() -> None:
    chat = ChatQwenOmni(api_key="x", model_kwargs={"messages": []})
    with pytest.raises(QwenOmniError, match="messages"):
        chat._build_payload([HumanMessage("hi")], None)
