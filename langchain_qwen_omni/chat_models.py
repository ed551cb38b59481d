"""`ChatQwenOmni`: Qwen-Omni as a LangChain chat model."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast

# Imported here, not on the event loop: langchain-core imports the tracers the
# first time a call configures its callbacks, inside `ainvoke`.
import langchain_core.tracers.langchain  # noqa: F401
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableMap, RunnablePassthrough
from langchain_core.runnables.config import run_in_executor
from langchain_core.utils import secret_from_env
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from langchain_qwen_omni._body import encode_body
from langchain_qwen_omni._clients import (
    async_client_for,
    openai_module,
    sync_client_for,
)
from langchain_qwen_omni._convert import convert_messages
from langchain_qwen_omni._keys import REGION_BASE_URLS, require_key, resolve_base_url
from langchain_qwen_omni._request import PARAM_NAMES, OmniRequest, build_params
from langchain_qwen_omni._stream import StreamAssembler
from langchain_qwen_omni._tokens import count_tokens
from langchain_qwen_omni._transport import astream_chunks, stream_chunks
from langchain_qwen_omni._vllm_stream import VllmOmniAssembler
from langchain_qwen_omni._wire import request_body
from langchain_qwen_omni._wire_vllm import (
    DEFAULT_VOICE_FIELDS,
    VllmOptions,
    vllm_request_body,
)
from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.profiles import (
    OmniModelProfile,
    get_profile,
    is_documented,
    is_realtime_model,
    resolve_profile,
    to_model_profile,
    validate_overrides,
)
from langchain_qwen_omni.rules import check_request, warn_once

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Sequence

    import openai
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.language_models import LanguageModelInput, ModelProfile
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool
    from pydantic import BaseModel

__all__ = ["REGION_BASE_URLS", "VLLM_OMNI_BASE_URL", "ChatQwenOmni"]

VLLM_OMNI_BASE_URL = "http://localhost:8000/v1"
"""Where `vllm serve <weights> --omni` listens by default."""
VLLM_API_KEY_ENV = "VLLM_API_KEY"
"""The key a vLLM server started with `--api-key` wants (vLLM's own variable)."""
_VLLM_NO_KEY = "EMPTY"
"""What OpenAI clients send to a vLLM server that checks no key."""
_VOICE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


Modality = Literal["text", "audio"]
StructuredOutputMethod = Literal["function_calling", "json_mode", "json_schema"]

logger = logging.getLogger(__name__)


def _text_only() -> list[Modality]:
    return ["text"]


_PARAM_FIELDS = PARAM_NAMES - {"modalities", "audio_format", "stream_usage"}
"""Request parameters that are also fields, sent when set (the others always)."""


def _refuse_realtime(model: str) -> None:
    """Refuse a Qwen-Omni-Realtime model: chat completions do not serve it.

    Raises:
        OmniInputError: Naming the model and the realtime session to use.
    """
    if is_realtime_model(model):
        msg = (
            f"{model!r} is a Qwen-Omni-Realtime model: it speaks the realtime "
            "WebSocket API, not chat completions. Use "
            "langchain_qwen_omni.realtime.QwenOmniRealtime for it, or drop "
            "'-realtime' from the name for ChatQwenOmni."
        )
        raise OmniInputError(msg)


def _draft_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call asked in text, tools bound: a draft that may call them."""
    return {**kwargs, "modalities": ["text"]}


def _spoken_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call asked again for the spoken final answer, no more tool calls."""
    return {**kwargs, "tool_choice": "none"}


def _calls_tools(draft: StreamAssembler) -> bool:
    """Whether a finished draft called tools (then it is the turn's answer)."""
    message = draft.message()
    return bool(message.tool_calls or message.invalid_tool_calls)


def _warn_self_hosted(model: str, profile: OmniModelProfile) -> None:
    """Warn once when an open-weights-only model is asked of Model Studio."""
    if not profile.api_model:
        warn_once(
            ("self-hosted", profile.family),
            f"{model!r} is an open-weights model that Model Studio does not serve; "
            "point base_url at your own vLLM-Omni server.",
        )


class ChatQwenOmni(BaseChatModel):
    r"""Qwen-Omni chat models: text, image, audio and video in; text and speech out.

    Every request streams over the wire (Omni refuses non-streaming calls);
    `invoke` and `batch` aggregate the stream, keeping every byte of speech.

    Setup:
        Install the package and set your Model Studio (DashScope) API key:

        ```bash
        pip install -U langchain-qwen-omni
        export DASHSCOPE_API_KEY="sk-..."
        ```

    Key init args — completion params:
        model: str
            Model name, default `"qwen3-omni-flash"`; `"qwen3.5-omni-flash"`
            or `"qwen3.5-omni-plus"` for spoken answers, `"qwen3.8-omni-flash"`
            for analysing media (text only). See the README's model table.
        modalities: list[str]
            `["text"]` (default) or `["text", "audio"]` for spoken answers.
        voice: str | None
            Voice of spoken answers; the family's default when None.
        temperature: float | None
            Sampling temperature.
        max_tokens: int | None
            Maximum number of tokens to generate.
        enable_thinking: bool | None
            Thinking on or off where the family lets you choose.
        reasoning_effort: str | None
            How hard qwen3.8-omni-flash thinks (`"none"` to `"max"`).

    Key init args — client params:
        api_key: SecretStr | None
            DashScope key; read from `DASHSCOPE_API_KEY` if not given.
        base_url: str | None
            Endpoint; from `DASHSCOPE_BASE_URL`, then `DASHSCOPE_API_BASE`, then
            Singapore. `region="cn" | "us" | "hk" | "intl"` picks a documented one.
        timeout: float | None
            Request timeout in seconds.
        max_retries: int
            Retries of 429/5xx/connection errors, of breaks before the first
            event and of in-band rate limits before any content.

    Instantiate:
        ```python
        from langchain_qwen_omni import ChatQwenOmni

        model = ChatQwenOmni(model="qwen3-omni-flash", temperature=0.7)
        ```

        Offline, against the bundled emulator:

        ```python
        from langchain_qwen_omni.emulator import OmniEmulator

        with OmniEmulator() as emu:  # a local test double of the API, not a model
            offline = ChatQwenOmni(base_url=emu.base_url, api_key="any")
            offline.invoke("Who are you?").text  # describes the request it got
        ```

    Invoke:
        ```python
        model.invoke("Who are you?").text
        ```

    Stream:
        ```python
        for chunk in model.stream("Tell me a story"):
            print(chunk.text, end="", flush=True)
        ```

    Async:
        ```python
        await model.ainvoke("Who are you?")
        async for chunk in model.astream("Tell me a story"):
            ...
        await model.abatch(["Hi", "Hello"])
        ```

    Image input:
        ```python
        from langchain_core.messages import HumanMessage
        from langchain_qwen_omni import image_block

        message = HumanMessage(
            content_blocks=[
                image_block("photo.jpg"),  # a path, bytes, URL, array or PIL image
                {"type": "text", "text": "What is in this picture?"},
            ]
        )
        model.invoke([message]).text
        ```

        Standard blocks work as they are: `{"type": "image", "url": "https://..."}`
        or `{"type": "image", "base64": "...", "mime_type": "image/png"}`, and
        so do OpenAI-format `image_url` parts.

    Audio input:
        ```python
        from langchain_qwen_omni import audio_block

        message = HumanMessage(
            content_blocks=[
                audio_block("question.mp3"),  # or numpy samples + sample_rate
                {"type": "text", "text": "Answer the question you hear."},
            ]
        )
        model.invoke([message]).text
        ```

    Video input:
        ```python
        from langchain_qwen_omni import video_block, video_frames_block

        clip = HumanMessage(
            content_blocks=[
                video_block("clip.mp4"),  # seen and heard: the sound track counts
                {"type": "text", "text": "What happens in this video?"},
            ]
        )
        model.invoke([clip]).text

        frames = HumanMessage(
            content_blocks=[
                video_frames_block(["frame1.jpg", "frame2.jpg", "frame3.jpg"]),
                {"type": "text", "text": "What moves between these frames?"},
            ]
        )
        model.invoke([frames]).text
        ```

        Omni's rules are checked before any request, per model family: media
        kinds per user message (any mix on Qwen3.5-Omni and
        qwen3.8-omni-flash, one kind on older families), files per request,
        sizes, durations and frame counts. What can be repaired without
        changing the meaning is, with a warning: mixed media split into
        consecutive user messages where the family needs it, earlier files
        beyond the per-request count sent as their transcript, media in tool
        results moved into a user turn. `strict=True` raises
        `OmniConversationError` instead. The rest raises `OmniInputError`.
        Videos longer than the model takes: `DescribeVideoTool`.

    Audio output:
        ```python
        from langchain_qwen_omni import OmniAudio

        speaker = ChatQwenOmni(
            model="qwen3.5-omni-flash", modalities=["text", "audio"], voice="Tina"
        )
        message = speaker.invoke("Say hello")
        model.invoke("Say hello", modalities=["text", "audio"], voice="Ethan")
        audio = OmniAudio.from_message(message)  # 24 kHz mono int16
        audio.save("hello.wav")
        message.additional_kwargs["audio"]  # {"id", "data", "transcript", ...}
        ```

        Streamed chunks carry their speech piece in
        `additional_kwargs["audio"]["data"]`; each piece decodes on its own
        and `chunk1 + chunk2` stays valid base64. Live playback:

        ```python
        from langchain_qwen_omni import iter_pcm

        for pcm in iter_pcm(speaker.stream("Count to three")):
            ...  # 24 kHz mono int16 bytes: e.g. sounddevice.RawOutputStream.write
        ```

        With `output_version="v1"` the content holds an `audio` block.

    Tool calling:
        ```python
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a city.'''

            city: str = Field(description="The city, e.g. Hangzhou")


        model_with_tools = model.bind_tools([GetWeather])
        ai_msg = model_with_tools.invoke("What is the weather in Hangzhou?")
        ai_msg.tool_calls
        # [{"name": "GetWeather", "args": {"city": "Hangzhou"}, "id": "call_...",
        #   "type": "tool_call"}]
        ```

        `tool_choice` takes `"auto"`, `"none"`, `"required"` (also `"any"` or
        `True`), a bound tool's name, or an OpenAI
        `{"type": "function", "function": {"name": ...}}` dict. Streamed calls
        arrive as `tool_call_chunks` whose arguments add up across chunks;
        arguments that are not valid JSON land in `invalid_tool_calls`. Tool
        results go back as `ToolMessage`s, and images, audio or video may sit
        in the same conversation, so `langchain.agents.create_agent(model,
        tools=[...])` and LangGraph graphs work as with any chat model. Models
        whose profile has no tool calling (qwen-omni-turbo, Qwen2.5-Omni, the
        captioner) raise `OmniInputError` at `bind_tools`, before any request;
        `limits={"tool_calling": True}` overrides that for a model that has
        gained it, and unknown model names are let through.

    Structured output:
        ```python
        class Joke(BaseModel):
            '''A joke to tell the user.'''

            setup: str
            punchline: str


        model.with_structured_output(Joke).invoke("Tell me a joke about cats")
        # Joke(setup="...", punchline="...")
        model.with_structured_output(Joke, include_raw=True).invoke("A joke")
        # {"raw": ..., "parsed": ..., "parsing_error": None}
        ```

        Pydantic classes give instances; TypedDicts and JSON schema dicts give
        dicts. The default `method="function_calling"` binds the schema as the
        one tool the model must call: function calling is what Model Studio
        documents for Qwen-Omni. `method="json_mode"` sends
        `response_format={"type": "json_object"}`, DashScope's JSON mode: the
        prompt must describe the keys and mention JSON. `method="json_schema"`
        is not documented for Qwen-Omni, so it is sent as function calling,
        with a logged warning, rather than as a `response_format` the API may
        ignore.

    Thinking:
        ```python
        thinker = ChatQwenOmni(model="qwen3-omni-flash", enable_thinking=True)
        thought = thinker.invoke("Why is the sky blue?")
        thought.additional_kwargs["reasoning_content"]  # the reasoning, as text
        [block["type"] for block in thought.content_blocks]  # reasoning, text
        thought.usage_metadata["output_token_details"]
        # {"reasoning": 120}
        ```

        `enable_thinking` goes in the request body (also per call:
        `model.invoke(..., enable_thinking=True)`). Reasoning streams before
        the answer as `reasoning` content blocks (one merged block with
        `output_version="v1"`). Thinking answers are text only: asking for
        speech as well raises `OmniInputError` before any request.

        qwen3.8-omni-flash thinks by default; steer it with
        `reasoning_effort` (`"none"` to `"max"`) or `thinking_budget` (not
        both) and `preserve_thinking`. Qwen3.5-Omni does not think:
        `enable_thinking=True` there raises `OmniInputError`.

    Token counting:
        ```python
        model.get_num_tokens_from_messages([message])  # offline estimate
        ```

        Media count by the family's published rules (image patches, audio
        seconds, video frames at 2 per second); text is approximated.

    Token usage:
        ```python
        message.usage_metadata
        # {"input_tokens": 207, "output_tokens": 103, "total_tokens": 310,
        #  "output_token_details": {"audio": 83}}
        ```

    Response metadata:
        ```python
        message.response_metadata
        # {"model_name": "qwen3-omni-flash", "finish_reason": "stop",
        #  "model_provider": "qwen_omni"}
        ```

    Model profile and limits:
        ```python
        flash = ChatQwenOmni(model="qwen3-omni-flash")
        flash.profile["max_input_tokens"]  # LangChain's standard profile
        flash.omni_profile.video_max_seconds  # the finer limits the checks use

        newer = ChatQwenOmni(
            model="qwen3-omni-flash", limits={"audio_max_seconds": 3600}
        )
        newer.omni_profile.audio_max_seconds  # overridden, e.g. for a newer model
        ```

        Dated snapshots and other names of a known family resolve to it;
        unknown names to the closest family, with one warning. Realtime
        models (`*-realtime`) are refused: they use `QwenOmniRealtime`.
        `limits` takes `OmniModelProfile` fields (or a whole profile); the
        README's model table lists them all.

    Self-hosting with vLLM-Omni:
        ```python
        from langchain_qwen_omni.emulator import OmniEmulator

        with OmniEmulator(dialect="vllm-omni") as server:  # or your vllm serve --omni
            own = ChatQwenOmni(
                model="Qwen/Qwen3-Omni-30B-A3B-Instruct",
                dialect="vllm-omni",
                base_url=server.base_url,  # default http://localhost:8000/v1
                modalities=["text", "audio"],
                voice="Chelsie",  # Ethan (default), Chelsie, Aiden
            )
            spoken = own.invoke("Say hello")
            OmniAudio.from_message(spoken).sample_rate  # 24000, as from the API
        ```

        `dialect="vllm-omni"` writes vLLM-Omni's requests (raw base64
        audio, frames as image parts, explicit `modalities`, the `speaker`
        field, `mm_processor_kwargs.use_audio_in_video`) and reads its
        stream (WAV speech pieces tagged `"modality": "audio"`); open weights
        get self-hosted limits (`limits={"max_model_len": ...}` for the
        server's context), tools need the server's tool parser and
        `limits={"tool_calling": True}`. `whole_answers=True` asks servers
        that do not stream for whole answers.
    """

    model_config = ConfigDict(populate_by_name=True)

    # ------------------------------------------------------------- fields
    model: str = Field(
        default="qwen3-omni-flash",
        validation_alias=AliasChoices("model", "model_name"),
    )
    """Model name, e.g. `qwen3-omni-flash`, `qwen-omni-turbo`, a dated snapshot."""
    api_key: SecretStr | None = Field(
        validation_alias=AliasChoices("api_key", "dashscope_api_key"),
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None),
    )
    """DashScope API key; env `DASHSCOPE_API_KEY`. Keys are per region."""
    base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("base_url", "api_base")
    )
    """Endpoint; env `DASHSCOPE_BASE_URL`, else `DASHSCOPE_API_BASE`, else Singapore."""
    region: Literal["intl", "cn", "us", "hk"] | None = None
    """Shortcut for a documented regional endpoint; an explicit `base_url` wins."""
    modalities: list[Modality] = Field(default_factory=_text_only)
    """`["text"]`, or `["text", "audio"]` to receive speech as well."""
    voice: str | None = None
    """Voice of spoken answers; the model's default when None."""
    audio_format: Literal["wav"] = "wav"
    """The `audio.format` request value: the API accepts only `"wav"` (streams PCM)."""
    temperature: float | None = None
    """Sampling temperature."""
    top_p: float | None = None
    """Nucleus sampling mass."""
    max_tokens: int | None = None
    """Maximum number of tokens to generate."""
    seed: int | None = None
    """Sampling seed, for repeatable answers."""
    stop: list[str] | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    """Stop sequences."""
    presence_penalty: float | None = None
    """Penalty on tokens already present in the text."""
    enable_thinking: bool | None = None
    """Thinking on (`True`) or off (`False`) where the family lets you choose
    (qwen3-omni-flash: off by default; qwen3.8-omni-flash: on). Text answers only."""
    reasoning_effort: str | None = None
    """How hard qwen3.8-omni-flash thinks: `"none"` to `"max"` (default `"xhigh"`)."""
    thinking_budget: int | None = None
    """Most tokens of reasoning (qwen3-omni-flash, qwen3.8-omni-flash); not
    combinable with `reasoning_effort`."""
    preserve_thinking: bool | None = None
    """Keep earlier turns' reasoning in context (qwen3.8-omni-flash; on by default)."""
    enable_search: bool | None = None
    """Let the model search the web (qwen3.8-omni-flash, Qwen3.5-Omni)."""
    search_options: dict[str, Any] | None = None
    """Web search settings, e.g. `{"search_strategy": "agent"}`."""
    vl_high_resolution_images: bool | None = None
    """Read images at up to 16,384 tokens each (qwen3.8-omni-flash, Qwen3.5-Omni)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other request-body parameters the API takes, sent as given."""
    timeout: float | None = Field(
        default=None, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """Request timeout in seconds; the SDK's default when None."""
    max_retries: int = 2
    """Retries of 429, 5xx and connection errors, of breaks before the first event,
    and of rate limits reported inside the stream before any content."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request."""
    stream_usage: bool = True
    """Ask for the usage chunk (`stream_options.include_usage`)."""
    strict: bool = False
    """False repairs Omni's conversation rules where meaning is kept; True raises."""
    spoken_turns: Literal["all", "final"] = "all"
    """With speech and tools: `"final"` asks tool-calling turns in text and speaks
    only the final answer (an agent then says nothing while it works)."""
    limits: dict[str, Any] | OmniModelProfile | None = None
    """Overrides of this model's limits, for models newer than the package's table:
    a dict of `OmniModelProfile` fields (e.g. `{"audio_max_seconds": 600}`) or a
    whole `OmniModelProfile`. `omni_profile` returns the result."""
    dialect: Literal["dashscope", "vllm-omni"] = "dashscope"
    """Whose wire to speak: Model Studio's (default), or `"vllm-omni"` for open
    weights served by `vllm serve <weights> --omni` (self-hosted profiles,
    vLLM's content parts, speech as WAV pieces). With `"vllm-omni"`, `base_url`
    defaults to `http://localhost:8000/v1` and the key to env `VLLM_API_KEY`
    (else `"EMPTY"`); `DASHSCOPE_API_KEY` is never sent to your server."""
    voice_fields: list[str] = Field(default_factory=lambda: list(DEFAULT_VOICE_FIELDS))
    """vLLM-Omni only: the request fields naming the speaker; by default the
    top-level `speaker` (what vLLM-Omni front ends read) and OpenAI's
    `audio.voice`, since which one a server reads is not settled. Dotted
    names nest; `[]` sends none (the server's default speaker)."""
    whole_answers: bool = False
    """vLLM-Omni only: ask for one whole answer (`stream=false`) instead of a
    stream, for releases or configurations that do not stream. Text and speech
    then arrive at the end; a whole answer sent unasked is accepted too."""

    # Typed Any: the SDK is imported lazily, so its classes are unknown here.
    _sync_client: Any = PrivateAttr(default=None)

    if TYPE_CHECKING:
        # The signature type checkers see. Without it, a checker reading the
        # pydantic fields (dataclass_transform, no plugin) would want a
        # `SecretStr` key and miss the old spellings; a unit test keeps this
        # list equal to the fields.
        def __init__(  # noqa: PLR0913
            self,
            *,
            model: str = ...,
            model_name: str = ...,
            api_key: SecretStr | str | None = ...,
            dashscope_api_key: SecretStr | str | None = ...,
            base_url: str | None = ...,
            api_base: str | None = ...,
            region: Literal["intl", "cn", "us", "hk"] | None = ...,
            modalities: list[Modality] = ...,
            voice: str | None = ...,
            audio_format: Literal["wav"] = ...,
            temperature: float | None = ...,
            top_p: float | None = ...,
            max_tokens: int | None = ...,
            seed: int | None = ...,
            stop: list[str] | None = ...,
            stop_sequences: list[str] | None = ...,
            presence_penalty: float | None = ...,
            enable_thinking: bool | None = ...,
            reasoning_effort: str | None = ...,
            thinking_budget: int | None = ...,
            preserve_thinking: bool | None = ...,
            enable_search: bool | None = ...,
            search_options: dict[str, Any] | None = ...,
            vl_high_resolution_images: bool | None = ...,
            model_kwargs: dict[str, Any] = ...,
            timeout: float | None = ...,
            request_timeout: float | None = ...,
            max_retries: int = ...,
            default_headers: dict[str, str] | None = ...,
            stream_usage: bool = ...,
            strict: bool = ...,
            spoken_turns: Literal["all", "final"] = ...,
            limits: dict[str, Any] | OmniModelProfile | None = ...,
            dialect: Literal["dashscope", "vllm-omni"] = ...,
            voice_fields: list[str] = ...,
            whole_answers: bool = ...,
            **kwargs: Any,
        ) -> None:
            """Build the model; `kwargs` are `BaseChatModel`'s own settings."""

    # ----------------------------------------------------------- identity
    @property
    def _llm_type(self) -> str:
        return "qwen-omni"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Keep the key out of serialized models."""
        return {"api_key": "DASHSCOPE_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """The model round-trips through `dumps`/`loads`, without its key."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """Namespace used in serialized models."""
        return ["langchain_qwen_omni", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params = {"model": self.model, **self._field_params()}
        if self.dialect != "dashscope":
            params["dialect"] = self.dialect
        return params

    def _get_ls_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="vllm" if self.dialect == "vllm-omni" else "dashscope",
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        if max_tokens := kwargs.get("max_tokens", self.max_tokens):
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = ls_stop
        return params

    @property
    def omni_profile(self) -> OmniModelProfile:
        """This model's effective limits and capabilities: its profile and `limits`."""
        return resolve_profile(self.model, self.limits, self.dialect)

    def _resolve_model_profile(self) -> ModelProfile | None:
        """LangChain's standard `profile`, derived from `omni_profile`."""
        return to_model_profile(self.omni_profile)

    # --------------------------------------------------------- validators
    @model_validator(mode="before")
    @classmethod
    def _keep_dashscope_key_from_vllm(cls, data: Any) -> Any:
        """On vLLM-Omni, take the key from `VLLM_API_KEY`, never DashScope's.

        A self-hosted server must not receive the Model Studio key that the
        environment holds for other models.
        """
        if (
            isinstance(data, dict)
            and data.get("dialect") == "vllm-omni"
            and data.get("api_key") is None
            and data.get("dashscope_api_key") is None
        ):
            data = {**data, "api_key": os.environ.get(VLLM_API_KEY_ENV) or _VLLM_NO_KEY}
        return data

    @field_validator("voice_fields")
    @classmethod
    def _check_qwen_omni_voice_fields(cls, value: list[str]) -> list[str]:
        """Refuse a voice field that is no (dotted) JSON field name."""
        for name in value:
            if not _VOICE_FIELD.match(name):
                msg = (
                    f"voice_fields holds {name!r}, which is not a field name: use "
                    "names such as 'speaker', 'voice' or a dotted path such as "
                    "'audio.voice'."
                )
                raise ValueError(msg)
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _wrap_qwen_omni_key(cls, value: object) -> object:
        """Hold a key given as a plain string as a `SecretStr` at once."""
        return SecretStr(value) if isinstance(value, str) else value

    @field_validator("limits")
    @classmethod
    def _check_qwen_omni_limits(
        cls, value: dict[str, Any] | OmniModelProfile | None
    ) -> dict[str, Any] | OmniModelProfile | None:
        """Refuse unknown limit names at once, instead of ignoring a typo."""
        return validate_overrides(value) if isinstance(value, dict) else value

    @field_validator("model")
    @classmethod
    def _refuse_qwen_omni_realtime(cls, value: str) -> str:
        """Refuse a realtime model at once: it needs the WebSocket API."""
        _refuse_realtime(value)
        return value

    @model_validator(mode="after")
    def _resolve_qwen_omni_endpoint(self) -> Self:
        """Resolve the endpoint and check the key, before any request."""
        if self.dialect == "vllm-omni":
            if self.region is not None:
                msg = (
                    f"region={self.region!r} picks a Model Studio endpoint, but "
                    "dialect='vllm-omni' talks to your own server: drop region "
                    "and pass base_url='http://<host>:<port>/v1'."
                )
                raise ValueError(msg)
            self.base_url = self.base_url or VLLM_OMNI_BASE_URL
        elif self.whole_answers:
            msg = (
                "whole_answers=True is for vLLM-Omni servers (dialect='vllm-omni'): "
                "Model Studio's Omni models answer only as a stream."
            )
            raise ValueError(msg)
        if self.base_url is None:
            self.base_url = resolve_base_url(None, self.region)
        require_key(self.api_key)
        return self

    def _client_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "api_key": self.api_key.get_secret_value() if self.api_key else None,
            "base_url": self.base_url,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
        }
        if self.timeout is not None:
            params["timeout"] = self.timeout
        return params

    @property
    def _client(self) -> openai.OpenAI:
        """The sync SDK client, shared by every model with this configuration.

        Built on first use: each client loads TLS certificates (tens of
        milliseconds), which models made only to be bound or copied never need.
        """
        if self._sync_client is None:
            self._sync_client = sync_client_for(self._client_params())
        return cast("openai.OpenAI", self._sync_client)

    @property
    def _async_client(self) -> openai.AsyncOpenAI:
        """The async SDK client of the running event loop (shared as `_client` is).

        Requests get theirs from `_async_client_in`, in the worker thread that
        prepares them, so that building it never stalls the loop.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        return self._async_client_in(loop)

    def _async_client_in(
        self, loop: asyncio.AbstractEventLoop | None
    ) -> openai.AsyncOpenAI:
        """The shared async client for `loop`; may build it: call off the loop."""
        return cast("openai.AsyncOpenAI", async_client_for(self._client_params(), loop))

    # --------------------------------------------------- request building
    def _field_params(self) -> dict[str, Any]:
        """The request parameters set on this instance (unset ones left out)."""
        params: dict[str, Any] = {
            "modalities": list(self.modalities),
            "audio_format": self.audio_format,
            "stream_usage": self.stream_usage,
        }
        for name in _PARAM_FIELDS.intersection(type(self).model_fields):
            if (value := getattr(self, name)) is not None:
                params[name] = value
        return params

    def _settings(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Request parameters: the fields, then `model_kwargs`, then the call's."""
        return {**self._field_params(), **self.model_kwargs, **kwargs}

    def _build_request(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> OmniRequest:
        """The checked, repaired request: messages converted, parameters typed.

        Parameters come from the fields, then `model_kwargs`, then the call's
        keywords (e.g. from `bind`, or `invoke(..., voice="Tina")`); each is
        checked against the profile of the model the call names.
        """
        settings = self._settings(kwargs)
        if stop:
            settings["stop"] = stop
        model = str(settings.pop("model", self.model))
        _refuse_realtime(model)
        profile = (
            self.omni_profile
            if model == self.model
            else get_profile(model, self.dialect)
        )
        if self.dialect == "dashscope":
            _warn_self_hosted(model, profile)
        params = build_params(settings)
        if params.speech and params.voice is None:
            params = dataclasses.replace(params, voice=profile.default_voice)
        if params.tools:
            self._check_tool_calling(model, "tools in the request")
        request = OmniRequest(model, convert_messages(messages), params)
        return check_request(request, profile, strict=self.strict)

    def _build_payload(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> dict[str, Any]:
        """The request body as JSON-ready data (see `_build_request`)."""
        return self._write_body(self._build_request(messages, stop, **kwargs))

    def _write_body(self, request: OmniRequest) -> dict[str, Any]:
        """The request in this model's dialect: one writer per wire."""
        if self.dialect == "vllm-omni":
            options = VllmOptions(
                voice_fields=tuple(self.voice_fields), stream=not self.whole_answers
            )
            return vllm_request_body(request, options)
        return request_body(request)

    @property
    def _whole_ok(self) -> bool:
        """Whether a whole JSON answer is an answer: vLLM-Omni may send one."""
        return self.dialect == "vllm-omni"

    def _assembler(self, *, speech: bool, emit: bool = True) -> StreamAssembler:
        """The stream reader of this model's dialect."""
        if self.dialect == "vllm-omni":
            return VllmOmniAssembler(speech=speech, emit=emit)
        return StreamAssembler(speech=speech, emit=emit)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool]
        | None = None,
    ) -> int:
        """Estimate the prompt's tokens without a request or a tokenizer download.

        Media count by the family's published rules (image pixels per token
        with its minimum and maximum, audio seconds, video frames sampled at
        2 per second and their sound); text is approximated from its
        characters. Media given by URL cannot be measured without fetching
        them: an image counts at its maximum, audio and video at zero.
        """
        profile = self.omni_profile
        turns = convert_messages(messages)
        formatted = [convert_to_openai_tool(tool) for tool in tools or ()]
        return count_tokens(
            turns,
            profile,
            tools=formatted,
            high_resolution=bool(self.vl_high_resolution_images),
        )

    # ------------------------------------------------------------ streaming
    def _should_stream(self, *, async_api: bool, **kwargs: Any) -> bool:
        """Use `_stream` for `stream()`; let `invoke` run `_generate`.

        Both stream from the wire. `_generate` reports every chunk to the
        callbacks (streaming handlers still see each token) and aggregates in
        linear time, whereas LangChain's chunk merging, used when `invoke`
        goes through `_stream`, recopies the growing speech base64 per chunk.
        """
        return bool(kwargs.get("stream")) and super()._should_stream(
            async_api=async_api, **kwargs
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._answer(messages, stop, run_manager, kwargs, [], emit=True)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in self._aanswer(
            messages, stop, run_manager, kwargs, [], emit=True
        ):
            yield chunk

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        done: list[StreamAssembler] = []
        emit = bool(run_manager and run_manager.handlers)
        for _ in self._answer(messages, stop, run_manager, kwargs, done, emit=emit):
            pass
        return ChatResult(generations=[ChatGeneration(message=done[-1].message())])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        done: list[StreamAssembler] = []
        emit = bool(run_manager and run_manager.handlers)
        async for _ in self._aanswer(
            messages, stop, run_manager, kwargs, done, emit=emit
        ):
            pass
        return ChatResult(generations=[ChatGeneration(message=done[-1].message())])

    # Each answer is one request, or two when only the final answer is spoken:
    # a text draft that may call tools, then, if it called none, the spoken
    # answer. `done` receives the assembler of the answer given to the caller.
    def _answer(  # noqa: PLR0913 - the hook's arguments, passed on
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        done: list[StreamAssembler],
        *,
        emit: bool,
    ) -> Iterator[ChatGenerationChunk]:
        if self._drafts_in_text(kwargs):
            draft = self._assembler(speech=False)
            _, body = self._prepare(messages, stop, **_draft_kwargs(kwargs))
            chunks = list(
                stream_chunks(
                    self._client, body, draft, None, whole_answers=self._whole_ok
                )
            )
            if _calls_tools(draft):
                done.append(draft)
                for chunk in chunks:
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
                return
            kwargs = _spoken_kwargs(kwargs)
        speech, body = self._prepare(messages, stop, **kwargs)
        assembler = self._assembler(speech=speech, emit=emit)
        done.append(assembler)
        yield from stream_chunks(
            self._client, body, assembler, run_manager, whole_answers=self._whole_ok
        )

    async def _aanswer(  # noqa: PLR0913 - the hook's arguments, passed on
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        done: list[StreamAssembler],
        *,
        emit: bool,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """`_answer` over the async client; request building runs off the loop."""
        if self._drafts_in_text(kwargs):
            draft = self._assembler(speech=False)
            _, body, client = await run_in_executor(
                None,
                self._prepare_async,
                asyncio.get_running_loop(),
                messages,
                stop,
                **_draft_kwargs(kwargs),
            )
            chunks = [
                chunk
                async for chunk in astream_chunks(
                    client, body, draft, None, whole_answers=self._whole_ok
                )
            ]
            if _calls_tools(draft):
                done.append(draft)
                for chunk in chunks:
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
                return
            kwargs = _spoken_kwargs(kwargs)
        speech, body, client = await run_in_executor(
            None,
            self._prepare_async,
            asyncio.get_running_loop(),
            messages,
            stop,
            **kwargs,
        )
        assembler = self._assembler(speech=speech, emit=emit)
        done.append(assembler)
        async for chunk in astream_chunks(
            client, body, assembler, run_manager, whole_answers=self._whole_ok
        ):
            yield chunk

    def _drafts_in_text(self, kwargs: dict[str, Any]) -> bool:
        """Whether this call speaks only a final answer: speech, tools, `final`."""
        if self.spoken_turns != "final" or not kwargs.get("tools"):
            return False
        if kwargs.get("tool_choice") == "none":
            return False
        return build_params(self._settings(kwargs)).speech

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> tuple[bool, bytes]:
        """Whether speech is asked, and the checked body as the JSON bytes to send.

        Encoding here, in the worker thread on async paths, keeps the SDK from
        JSON-encoding megabytes of media on the event loop.
        """
        request = self._build_request(messages, stop, **kwargs)
        openai_module()  # the first request imports the SDK here, off the event loop
        return request.params.speech, encode_body(self._write_body(request))

    def _prepare_async(
        self,
        loop: asyncio.AbstractEventLoop,
        messages: list[BaseMessage],
        stop: list[str] | None,
        **kwargs: Any,
    ) -> tuple[bool, bytes, openai.AsyncOpenAI]:
        """`_prepare`, plus the async client of `loop`, built here if need be."""
        speech, body = self._prepare(messages, stop, **kwargs)
        return speech, body, self._async_client_in(loop)

    # ---- tools and structured output
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools to the model, in the OpenAI function-calling format.

        Args:
            tools: Python functions, `BaseTool`s, pydantic or TypedDict
                classes, or OpenAI tool dicts (see `convert_to_openai_tool`).
            tool_choice: `"auto"`, `"none"`, `"required"` (also `True` or
                `"any"`), the name of a bound tool, or an OpenAI
                `{"type": "function", "function": {"name": ...}}` dict.
                `None` or `False` leaves the API's default (`"auto"`).
            parallel_tool_calls: Let the model call several tools in one
                answer; `None` leaves the API's default.
            **kwargs: Other request-body parameters, as for `bind`.

        Raises:
            OmniInputError: If this model cannot call tools (its profile says
                so), or `tool_choice` is not one of the forms above.
        """
        self._check_tool_calling(self.model, "bind_tools()")
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        if tool_choice is not None and tool_choice is not False:
            names = [t["function"]["name"] for t in formatted if "function" in t]
            kwargs["tool_choice"] = _tool_choice_to_wire(tool_choice, names)
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredOutputMethod = "function_calling",
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable whose output follows `schema`.

        Args:
            schema: A pydantic class (the output is an instance of it), a
                TypedDict class or a JSON schema dict (the output is a dict).
                May be `None` with `method="json_mode"` (any JSON object).
            method: `"function_calling"` (default): the schema is bound as
                the only tool and the model is made to call it; Model Studio
                documents function calling for Qwen-Omni. `"json_mode"`:
                `response_format={"type": "json_object"}`, DashScope's JSON
                mode; the prompt must describe the keys (and mention JSON).
                `"json_schema"`: not documented for Qwen-Omni, so it is sent
                as `"function_calling"`, which carries the schema to the
                model in a documented way, with a warning.
            include_raw: Return `{"raw": AIMessage, "parsed": ...,
                "parsing_error": ...}` instead of raising on parsing errors.
            **kwargs: Other request-body parameters, as for `bind`.

        Raises:
            OmniInputError: If `method` needs tool calling and the model has
                none (use `method="json_mode"` there).
            ValueError: If `schema` is missing or `method` is unknown.
        """
        if method == "json_schema":
            logger.warning(
                "with_structured_output(method='json_schema'): Qwen-Omni documents "
                "no json_schema response format, so the schema is sent as a tool "
                "the model must call (method='function_calling')."
            )
            method = "function_calling"
        trace = {"kwargs": {"method": method}, "schema": schema}
        pydantic_schema = isinstance(schema, type) and is_basemodel_subclass(schema)
        parser: Runnable[Any, Any]
        if method == "function_calling":
            if schema is None:
                msg = (
                    "with_structured_output(method='function_calling') needs a schema."
                )
                raise ValueError(msg)
            tool_name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema],
                tool_choice=tool_name,
                ls_structured_output_format=trace,
                **kwargs,
            )
            parser = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)
                if pydantic_schema
                else JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
            )
        elif method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"},
                ls_structured_output_format=trace,
                **kwargs,
            )
            parser = (
                PydanticOutputParser(pydantic_object=schema)
                if pydantic_schema
                else JsonOutputParser()
            )
        else:
            msg = (
                f"Unknown structured output method {method!r}: use "
                "'function_calling' (default), 'json_mode' or 'json_schema'."
            )
            raise ValueError(msg)
        if not include_raw:
            return llm | parser
        parse = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse.with_fallbacks(
            [no_parse], exception_key="parsing_error"
        )

    def _check_tool_calling(self, model: str, where: str) -> None:
        """Refuse tools for a model whose profile rules tool calling out.

        Raises:
            OmniInputError: With the model, its profile and what to do.
        """
        own = model == self.model
        profile = self.omni_profile if own else get_profile(model, self.dialect)
        explicit = own and (
            isinstance(self.limits, OmniModelProfile)
            or (isinstance(self.limits, dict) and "tool_calling" in self.limits)
        )
        documented = is_documented(model, self.dialect)
        if not _refuses_tools(profile, explicit=explicit, documented=documented):
            return
        if not profile.api_model:
            msg = (
                f"{where}: {model!r} ({profile.family}) calls tools on vLLM only "
                "when the server has a tool parser: start it with "
                "'--enable-auto-tool-choice --tool-call-parser hermes', then pass "
                "limits={'tool_calling': True} to say so. For JSON answers "
                "without tools, use with_structured_output(..., method='json_mode')."
            )
            raise OmniInputError(msg)
        msg = (
            f"{where}: {model!r} cannot call tools (its profile, "
            f"{profile.family!r}, has tool_calling=False; the API answers "
            "'The tool call is not supported.'). Use a qwen3-omni-flash model, "
            "or with_structured_output(..., method='json_mode') for JSON answers. "
            "If this model has gained tool calling, pass "
            "limits={'tool_calling': True}."
        )
        raise OmniInputError(msg)


# ---- tools and structured output: pure helpers

_TOOL_CHOICE_KEYWORDS = {
    "auto": "auto",
    "none": "none",
    "required": "required",
    "any": "required",  # the name other providers use for "call some tool"
}


def _refuses_tools(
    profile: OmniModelProfile, *, explicit: bool, documented: bool
) -> bool:
    """Tell whether `profile` rules tool calling out for `model`.

    A documented model (or dated snapshot of one) and a capability the user
    set (`explicit`, through `limits`) are trusted. A name the model table
    does not know gets the benefit of the doubt, since new Omni models appear
    faster than the table changes and the API says so itself if it refuses.
    """
    if profile.tool_calling:
        if profile.is_uncertain("tool_calling") and not explicit:
            warn_once(
                ("tools", profile.family),
                f"Tool calling through chat completions is not confirmed for "
                f"{profile.family}; the tools are sent and the API will judge.",
            )
        return False
    return explicit or documented


def _tool_choice_to_wire(
    tool_choice: dict[str, Any] | str | bool,  # noqa: FBT001 - True is a documented form
    names: list[str],
) -> dict[str, Any] | str:
    """Map LangChain's `tool_choice` forms to the OpenAI-compatible wire form.

    Raises:
        OmniInputError: For a name that is no bound tool, or an unknown form.
    """
    if tool_choice is True:
        return "required"
    if isinstance(tool_choice, str):
        if tool_choice in names:
            return {"type": "function", "function": {"name": tool_choice}}
        if tool_choice in _TOOL_CHOICE_KEYWORDS:
            return _TOOL_CHOICE_KEYWORDS[tool_choice]
    elif isinstance(tool_choice, dict):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if name is None or name in names:
            return tool_choice
    msg = (
        f"tool_choice={tool_choice!r} is neither 'auto', 'none', 'required' "
        f"('any', True) nor one of the bound tools {names}; a dict must be "
        '{"type": "function", "function": {"name": <a bound tool>}}.'
    )
    raise OmniInputError(msg)
