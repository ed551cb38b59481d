"""vLLM-Omni's answer chunks, turned into the DashScope shape the assembler reads.

A `vllm serve <weights> --omni` stream differs from DashScope's in ways that
would show speech as text and end the answer early:

- every chunk names its output in a top-level `"modality"` (`"text"` or
  `"audio"`); speech arrives in `delta.content` of audio chunks, as the
  base64 of a WAV file (a header on every piece);
- every audio chunk carries `finish_reason: "stop"`, and a `usage` counting
  no completion tokens;
- reasoning may arrive as `delta.reasoning` (newer vLLM) rather than
  `delta.reasoning_content`;
- usage has no media breakdown;
- a non-streamed answer (`stream=false`, or a server that answers whole)
  puts the speech in a separate choice, `message.audio.data` = base64 WAV.

`VllmOmniAssembler` translates each chunk (speech decoded by
`WavPieceDecoder` into 24 kHz PCM, handed over as bytes in
`delta.audio.data`, which the shared assembler keeps as they are instead of
decoding base64) and hands it to the shared `StreamAssembler`, so text,
tools, realigned speech pieces and the aggregate behave exactly as on
DashScope. A finish reason on speech does not end the answer; the text's
does, and so does a speech piece's when the server sends no text at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_qwen_omni._stream import StreamAssembler
from langchain_qwen_omni._wav_pieces import WavPieceDecoder, WavPieceError
from langchain_qwen_omni.errors import OmniStreamError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_core.outputs import ChatGenerationChunk

__all__ = ["VllmOmniAssembler"]

_AUDIO = "audio"
_WAV_B64 = "UklGR"
"""How the base64 of a RIFF (WAV) file begins."""
_WAV_B64_MIN = 60
"""Base64 characters of the smallest WAV file (a 44-byte header)."""


class VllmOmniAssembler(StreamAssembler):
    """A `StreamAssembler` for vLLM-Omni's chunks (see the module docstring)."""

    def __init__(self, *, speech: bool, emit: bool = True) -> None:
        """Prepare an empty aggregate; see `StreamAssembler`."""
        super().__init__(speech=speech, emit=emit)
        self._wav = WavPieceDecoder()
        self._text_finished = False
        self._speech_finish: str | None = None
        self._held_usage: Mapping[str, Any] | None = None
        self._usage_seen = False

    @property
    def source_format(self) -> Any:
        """The format of the server's speech samples, as last seen."""
        return self._wav.source_format

    def feed(self, event: Mapping[str, Any]) -> list[ChatGenerationChunk]:
        """Translate one vLLM-Omni chunk, then assemble it as DashScope's.

        Raises:
            OmniStreamError: If the chunk is not a chat completion chunk or
                its speech cannot be decoded; `.partial` holds the answer so far.
        """
        try:
            translated = self._translate(event)
        except (WavPieceError, TypeError, AttributeError, ValueError) as exc:
            msg = f"Malformed vLLM-Omni stream event: {exc}"
            raise OmniStreamError(msg, partial=self.partial()) from exc
        return super().feed(translated)

    def finish(self) -> ChatGenerationChunk:
        """Close the answer: the held usage and a finish reason if only speech had one.

        Raises:
            OmniStreamError: If the stream ended before any finish reason.
        """
        closing: dict[str, Any] = {"choices": []}
        if not self._usage_seen and self._held_usage is not None:
            closing["usage"] = self._held_usage
        if not self._text_finished and self._speech_finish is not None:
            closing["choices"] = [
                {"index": 0, "delta": {}, "finish_reason": self._speech_finish}
            ]
        extra = (
            super().feed(closing) if closing["choices"] or "usage" in closing else []
        )
        last = super().finish()
        for chunk in reversed(extra):
            last = chunk + last
        return last

    # ------------------------------------------------------------ translate
    def _translate(self, event: Mapping[str, Any]) -> Any:
        if not isinstance(event, dict):
            return event  # the shared assembler says what is wrong with it
        choices = event.get("choices")
        if not isinstance(choices, list):
            return event
        modality = event.get("modality")
        translated = {
            **event,
            "choices": [
                self._choice(choice, audio_chunk=self._is_speech(modality, choice))
                for choice in choices
            ],
        }
        if usage := event.get("usage"):
            if choices:  # a running count beside content: the last one is kept
                self._held_usage = usage
                translated.pop("usage")
            else:
                self._usage_seen = True
        return translated

    def _is_speech(self, modality: Any, choice: Any) -> bool:
        """Whether a choice holds speech: tagged so, or untagged WAV when asked."""
        if modality is not None:
            return bool(modality == _AUDIO)
        if not self._speech or not isinstance(choice, dict):
            return False
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        return bool(
            isinstance(content, str)
            and len(content) >= _WAV_B64_MIN
            and content.startswith(_WAV_B64)
        )

    def _choice(self, choice: Any, *, audio_chunk: bool) -> Any:
        if not isinstance(choice, dict) or not isinstance(choice.get("delta"), dict):
            return choice
        if audio_chunk:
            return self._speech_choice(choice)
        if choice.get("finish_reason"):
            self._text_finished = True
        delta = dict(choice["delta"])
        if "reasoning" in delta:
            reasoning = delta.pop("reasoning")
            if reasoning and not delta.get("reasoning_content"):
                delta["reasoning_content"] = reasoning
        if isinstance(delta.get(_AUDIO), dict):
            delta.update(self._speech_of(delta.pop(_AUDIO)))
        return {**choice, "delta": delta}

    def _speech_choice(self, choice: dict[str, Any]) -> dict[str, Any]:
        """A speech piece: its WAV decoded, its finish reason kept aside."""
        if reason := choice.get("finish_reason"):
            self._speech_finish = str(reason)
        delta = choice["delta"]
        out: dict[str, Any] = {}
        if data := delta.get("content"):
            out = self._decode_speech(data, {})
        elif isinstance(delta.get(_AUDIO), dict):
            out = self._speech_of(delta[_AUDIO])
        return {**choice, "delta": out, "finish_reason": None}

    def _speech_of(self, audio: Mapping[str, Any]) -> dict[str, Any]:
        """A `delta.audio` (whole answers, other servers): WAV or raw PCM data."""
        meta = {k: audio[k] for k in ("id", "expires_at") if audio.get(k) is not None}
        out = self._decode_speech(audio.get("data"), meta)
        if transcript := audio.get("transcript"):
            out.setdefault(_AUDIO, {})["transcript"] = transcript
        return out

    def _decode_speech(self, data: Any, meta: dict[str, Any]) -> dict[str, Any]:
        if not data:
            return {_AUDIO: meta} if meta else {}
        if not isinstance(data, str):
            msg = f"speech data is {type(data).__name__}, expected base64 text"
            raise TypeError(msg)
        pcm = self._wav.push(data)
        if not pcm:
            return {_AUDIO: meta} if meta else {}
        return {_AUDIO: {**meta, "data": pcm}}

    def _speech_pcm(self, data: Any) -> bytes:
        """Speech `_decode_speech` decoded already (bytes) goes in as it is."""
        return data if isinstance(data, bytes) else super()._speech_pcm(data)
