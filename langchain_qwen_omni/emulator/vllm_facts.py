"""What a vLLM-Omni server does, as the emulator's `vllm-omni` dialect plays it.

Read from the facts doc ("Self-hosted open weights") and vLLM-Omni's own
serving code, independently of the client's profiles and writers: a
`vllm serve <weights> --omni` server takes vLLM's content parts (`text`,
`image_url`, `audio_url`, `input_audio` with raw base64, `video_url`; no
frame-list `video` part), speaks unless `modalities` says otherwise, reads
the speaker from the request, and streams speech as base64 WAV files in
`delta.content` of chunks tagged `"modality": "audio"`, each with
`finish_reason: "stop"`.

`VllmServerOptions` says how the emulated server was started and which
release it is (a header on every speech piece, as today, or only on the
first, as a fixed release might; the sample rate; whether it streams at all).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = [
    "AUTO_TOOLS_MESSAGE",
    "DEFAULT_MODALITIES",
    "DEFAULT_SPEAKER",
    "INCORRECT_PADDING",
    "NO_STREAMING_MESSAGE",
    "PART_TYPES",
    "STREAM_OPTIONS_MESSAGE",
    "URL_MESSAGE",
    "VllmServerOptions",
    "check_vllm_options",
    "max_model_len_of",
    "speakers_of",
    "speaks",
    "thinks",
]

PART_TYPES = ("text", "image_url", "audio_url", "input_audio", "video_url")
"""vLLM's chat content parts for an Omni model."""
DEFAULT_MODALITIES = ("text", "audio")
"""vLLM-Omni's output when `modalities` is omitted: it speaks."""
DEFAULT_SPEAKER = "ethan"
"""The talker's default speaker (vLLM-Omni lower-cases speaker names)."""
_QWEN3_SPEAKERS = ("ethan", "chelsie", "aiden")
_QWEN25_SPEAKERS = ("ethan", "chelsie")
_QWEN3_MAX_MODEL_LEN = 65_536
_QWEN25_MAX_MODEL_LEN = 32_768

INCORRECT_PADDING = "Incorrect padding"
"""vLLM's answer to `input_audio.data` that is not raw base64 (a data URL)."""
URL_MESSAGE = "The URL must be either a HTTP, data or file URL."
AUTO_TOOLS_MESSAGE = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
    "to be set"
)
STREAM_OPTIONS_MESSAGE = "Stream options can only be defined when `stream=True`."
NO_STREAMING_MESSAGE = "Not support streaming output now."
"""The answer of vLLM-Omni releases that do not stream to `stream=true`."""

WavHeaders = Literal["every", "first", "none"]
ReasoningField = Literal["reasoning", "reasoning_content"]


@dataclasses.dataclass
class VllmServerOptions:
    """How the emulated vLLM-Omni server was started, and which release it is."""

    wav_headers: WavHeaders = "every"
    """A RIFF header on every speech piece (vLLM-Omni today), on the first
    only (each later piece raw PCM, as a fixed release may send), or none."""
    sample_rate: int = 24_000
    """Rate of the speech sent; the talker makes 24 kHz, other rates test
    clients that must resample."""
    streaming: bool = True
    """False plays a release that refuses `stream=true` and answers whole."""
    auto_tool_choice: bool = False
    """The server was started with `--enable-auto-tool-choice
    --tool-call-parser hermes`: without it, tools with `tool_choice` "auto"
    (the default when tools are given) are refused."""
    reasoning_field: ReasoningField = "reasoning"
    """Where a thinking model's reasoning goes (newer vLLM: `reasoning`)."""
    interleave_speech: bool = False
    """Send speech pieces between text pieces (async chunking), instead of
    after the whole text."""
    max_model_len: int | None = None
    """`--max-model-len`; `None` takes the model's own (65,536 for
    Qwen3-Omni, 32,768 for Qwen2.5-Omni)."""
    speaker_field: str = "speaker"
    """Top-level request field the server reads the speaker from."""
    served_model_name: str | None = None
    """`--served-model-name`: other names get 404; `None` takes any name."""


def check_vllm_options(options: VllmServerOptions) -> None:
    """Raise `ValueError` for settings that cannot produce a valid stream."""
    if options.wav_headers not in ("every", "first", "none"):
        given = options.wav_headers
        msg = f"wav_headers must be 'every', 'first' or 'none', got {given!r}"
        raise ValueError(msg)
    if not 1000 <= options.sample_rate <= 192_000:  # noqa: PLR2004
        msg = f"sample_rate must be 1000 to 192000 Hz, got {options.sample_rate!r}"
        raise ValueError(msg)
    if options.reasoning_field not in ("reasoning", "reasoning_content"):
        field = options.reasoning_field
        msg = (
            f"reasoning_field must be 'reasoning' or 'reasoning_content', got {field!r}"
        )
        raise ValueError(msg)
    if options.max_model_len is not None and options.max_model_len < 1:
        msg = f"max_model_len must be positive, got {options.max_model_len!r}"
        raise ValueError(msg)


def _name(model: str) -> str:
    return model.strip().lower().rpartition("/")[2]


def thinks(model: str) -> bool:
    """Whether the weights always reason first (Qwen3-Omni Thinking)."""
    return "thinking" in _name(model)


def speaks(model: str) -> bool:
    """Whether the weights have a talker: Thinking and Captioner answer in text."""
    name = _name(model)
    return "thinking" not in name and "captioner" not in name


def speakers_of(model: str) -> tuple[str, ...]:
    """The speakers the talker of these weights knows, lower-case."""
    return _QWEN25_SPEAKERS if "2.5-omni" in _name(model) else _QWEN3_SPEAKERS


def max_model_len_of(model: str, options: VllmServerOptions) -> int:
    """The context the server allows: its option, else the weights' positions."""
    if options.max_model_len is not None:
        return options.max_model_len
    return _QWEN25_MAX_MODEL_LEN if "2.5-omni" in _name(model) else _QWEN3_MAX_MODEL_LEN
