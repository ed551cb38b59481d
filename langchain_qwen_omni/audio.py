"""Omni's streamed speech: `OmniAudio` to decode it, `iter_pcm` to play it live.

Omni streams speech as base64 pieces of raw PCM (signed 16-bit little-endian,
mono, 24 kHz). A piece may be padded (`...=`), so joining the server's base64
strings is not valid base64. The stream assembler therefore decodes each piece
once into one buffer per stream, and each chunk carries the part of it that
ends on a 6-byte boundary (three whole samples, no padding). Every chunk's
`additional_kwargs["audio"]["data"]` then decodes on its own to whole samples,
and LangChain's `chunk + chunk` yields valid base64 of the whole PCM.

The chunks and the invoked message hold that PCM, not base64: the base64
string is made when someone reads `data`, and `OmniAudio.from_message`,
`from_chunks`, `iter_pcm` and `aiter_pcm` take the PCM directly (after a
finished stream, `from_chunks` and `from_message` without any copy). So a
ten-minute answer (28.8 MB of PCM) costs about its PCM in memory, not the
three to five times that decoding, joining and re-encoding base64 cost.
"""

from __future__ import annotations

import binascii
import dataclasses
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni._linear_merge import speech_of
from langchain_qwen_omni._pcm import B64Piece, decode_b64, encode_b64, join_pcm
from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

    import numpy as np
    import numpy.typing as npt
    from langchain_core.messages import BaseMessage

    from langchain_qwen_omni.playback import AudioDevice

__all__ = [
    "OMNI_CHANNELS",
    "OMNI_SAMPLE_RATE",
    "PCM_MIME_TYPE",
    "SPEECH_FILE_SUFFIXES",
    "OmniAudio",
    "PcmRealigner",
    "aiter_pcm",
    "iter_pcm",
]

OMNI_SAMPLE_RATE = 24_000
OMNI_CHANNELS = 1
_SAMPLE_BYTES = 2
_ALIGN = 6  # lcm of 3 (base64 without padding) and 2 (whole int16 samples)
PCM_MIME_TYPE = "audio/pcm;rate=24000;channels=1;encoding=s16le"
"""MIME type of the audio block in v1 content: raw little-endian 16-bit PCM."""

# soundfile format and subtype per file suffix; ogg holds Vorbis.
_SAVE_FORMATS: dict[str, tuple[str, str | None]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", None),
}
SPEECH_FILE_SUFFIXES: tuple[str, ...] = (*_SAVE_FORMATS, ".pcm")
"""Suffixes `OmniAudio.save` writes (`.pcm`: the raw samples), for early checks."""


class PcmRealigner:
    """Re-encode base64 PCM pieces on 6-byte boundaries.

    The carry is at most five bytes, so each piece costs one decode, one
    encode and a small copy, independent of the length of the stream.
    """

    __slots__ = ("_carry", "pcm_bytes")

    def __init__(self) -> None:
        """Start with an empty carry."""
        self._carry = b""
        self.pcm_bytes = 0
        """Decoded PCM bytes received so far."""

    def push(self, piece_b64: str) -> str:
        """Decode one server piece; return the aligned base64 ready to emit.

        Raises:
            binascii.Error: If the piece is not valid base64.
        """
        raw = decode_b64(piece_b64)
        self.pcm_bytes += len(raw)
        if self._carry:
            raw = self._carry + raw
        cut = len(raw) - len(raw) % _ALIGN
        self._carry = raw[cut:]
        return encode_b64(raw[:cut]) if cut else ""

    def peek_tail(self) -> str:
        """The base64 of the carried bytes, without consuming them."""
        return encode_b64(self._carry)

    def flush(self) -> str:
        """Return the base64 of the carried tail (may be padded) and reset."""
        tail, self._carry = self.peek_tail(), b""
        return tail


def _audio_b64_of(message: BaseMessage) -> str | None:
    """The speech base64 of a message or chunk (v0 kwargs or a v1 audio block)."""
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, dict) and isinstance(data := audio.get("data"), str):
        return data
    if isinstance(message.content, list):
        pieces = [
            block["base64"]
            for block in message.content
            if isinstance(block, dict)
            and block.get("type") == "audio"
            and isinstance(block.get("base64"), str)
        ]
        if pieces:
            return "".join(pieces)
    return None


def _pcm_of(pieces: list[B64Piece]) -> bytes:
    try:
        return join_pcm(pieces)
    except binascii.Error as exc:
        msg = (
            "The message's audio data is not valid base64. If you joined the "
            "base64 strings of several chunks yourself, use "
            "OmniAudio.from_chunks(chunks), which decodes each piece."
        )
        raise OmniInputError(msg) from exc


@dataclasses.dataclass(frozen=True)
class OmniAudio:
    """Decoded speech of an Omni answer: raw PCM plus what describes it.

    Build it with `OmniAudio.from_message(ai_message)` after `invoke`, or with
    `OmniAudio.from_chunks(chunks)` over the chunks of `stream`.
    """

    pcm: bytes
    """Signed 16-bit little-endian PCM samples, interleaved by channel."""
    sample_rate: int = OMNI_SAMPLE_RATE
    channels: int = OMNI_CHANNELS
    transcript: str = ""
    """The text of the speech, as the answer's text."""
    id: str | None = None
    expires_at: int | None = None

    @classmethod
    def from_message(cls, message: BaseMessage) -> OmniAudio:
        """Decode the speech of an invoked or aggregated message.

        Raises:
            OmniInputError: If the message carries no speech (was `modalities`
                set to `["text", "audio"]`?) or its base64 does not decode.
        """
        speech = speech_of(message)
        if speech is not None:
            pieces, meta = speech
        else:
            data = _audio_b64_of(message)
            if data is None:
                msg = (
                    "This message carries no speech. Request speech with "
                    'ChatQwenOmni(modalities=["text", "audio"]).'
                )
                raise OmniInputError(msg)
            pieces, meta = [data], message.additional_kwargs.get("audio") or {}
        return cls._of(pieces, meta, str(meta.get("transcript") or message.text))

    @classmethod
    def from_chunks(cls, chunks: Iterable[BaseMessage]) -> OmniAudio:
        """Decode the speech of streamed chunks, piece by piece, in linear time.

        Unlike summing the chunks first, this never builds one long base64
        string, and it accepts pieces that were not realigned.
        """
        pieces: list[B64Piece] = []
        text: list[str] = []
        meta: dict[str, Any] = {}
        for chunk in chunks:
            text.append(chunk.text)
            speech = speech_of(chunk)
            if speech is not None:
                pieces += speech[0]
                meta.update(speech[1])
                continue
            audio = chunk.additional_kwargs.get("audio")
            if isinstance(audio, dict):
                meta.update(
                    (k, v) for k, v in audio.items() if k not in {"data", "transcript"}
                )
            if data := _audio_b64_of(chunk):
                pieces.append(data)
        return cls._of(pieces, meta, "".join(text))

    @classmethod
    def _of(
        cls, pieces: list[B64Piece], meta: dict[str, Any], transcript: str
    ) -> OmniAudio:
        """The speech of `pieces`, described by the audio metadata `meta`."""
        return cls(
            pcm=_pcm_of(pieces),
            sample_rate=int(meta.get("sample_rate", OMNI_SAMPLE_RATE)),
            channels=int(meta.get("channels", OMNI_CHANNELS)),
            transcript=transcript,
            id=meta.get("id"),
            expires_at=meta.get("expires_at"),
        )

    @property
    def duration(self) -> float:
        """Length of the speech in seconds."""
        return len(self.pcm) // (_SAMPLE_BYTES * self.channels) / self.sample_rate

    def to_numpy(self) -> npt.NDArray[np.int16]:
        """The samples as int16, shape `(n,)` for mono or `(n, channels)`.

        A view on `pcm`, not a copy: it is read-only.
        """
        import numpy as np  # noqa: PLC0415  # imported lazily: not needed to stream

        usable = len(self.pcm) - len(self.pcm) % (_SAMPLE_BYTES * self.channels)
        samples = np.frombuffer(self.pcm, dtype="<i2", count=usable // _SAMPLE_BYTES)
        return samples if self.channels == 1 else samples.reshape(-1, self.channels)

    def to_wav_bytes(self) -> bytes:
        """The speech as a 16-bit PCM WAV file in memory."""
        import soundfile as sf  # noqa: PLC0415  # imported lazily: heavy native lib

        buffer = io.BytesIO()
        sf.write(
            buffer,
            self.to_numpy(),
            self.sample_rate,
            format="WAV",
            subtype="PCM_16",
        )
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the speech to a file whose suffix picks the format.

        `.wav` and `.flac` keep every sample exactly; `.ogg` (Vorbis) and
        `.mp3` are lossy; `.pcm` writes the raw samples.

        Raises:
            OmniInputError: If the suffix names no supported format.
        """
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".pcm":
            target.write_bytes(self.pcm)
            return target
        if suffix not in _SAVE_FORMATS:
            msg = (
                f"Cannot save speech as {target.name!r}: the suffix {suffix!r} "
                f"names no supported format. Use one of "
                f"{', '.join([*_SAVE_FORMATS, '.pcm'])}."
            )
            raise OmniInputError(msg)
        import soundfile as sf  # noqa: PLC0415  # imported lazily: heavy native lib

        file_format, subtype = _SAVE_FORMATS[suffix]
        sf.write(
            target,
            self.to_numpy(),
            self.sample_rate,
            format=file_format,
            subtype=subtype,
        )
        return target

    # --- showing and hearing (additive: decoding stays above) ---

    def __repr__(self) -> str:
        """A one-line summary: duration, rate, channels and the transcript's head.

        `print(audio)` shows this too; the samples stay out of logs.
        """
        layout = "mono" if self.channels == 1 else f"{self.channels} channels"
        head = _head(self.transcript, _REPR_TRANSCRIPT_CHARS)
        return (
            f"OmniAudio({self.duration:.2f} s, {self.sample_rate} Hz, {layout}, "
            f"transcript={head!r})"
        )

    def _repr_html_(self) -> str:
        """A player for notebooks: an `<audio>` element holding a WAV data URL."""
        wav = encode_b64(self.to_wav_bytes())
        caption = html.escape(_head(self.transcript, _HTML_TRANSCRIPT_CHARS))
        summary = html.escape(
            f"{self.duration:.2f} s, {self.sample_rate} Hz"
            + ("" if self.channels == 1 else f", {self.channels} channels")
        )
        return (
            f'<figure style="margin:0"><audio controls preload="metadata" '
            f'src="data:audio/wav;base64,{wav}"></audio>'
            f"<figcaption>{summary}: {caption}</figcaption></figure>"
        )

    def play(self, *, device: AudioDevice | None = None) -> None:
        """Play the speech on the default output device and wait until it ends.

        Needs the `playback` extra (`sounddevice`); without it the error
        names the install line.

        Args:
            device: Where to play; the system's default output when None.
        """
        from langchain_qwen_omni.playback import play_audio  # noqa: PLC0415  # extra

        play_audio(self, device=device)


_REPR_TRANSCRIPT_CHARS = 40
_HTML_TRANSCRIPT_CHARS = 400


def _head(text: str, limit: int) -> str:
    """The first `limit` characters of `text` on one line, with `...` if cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


class _SampleAligner:
    """Yield whole samples from pieces that may split one (foreign chunks)."""

    __slots__ = ("_odd",)

    def __init__(self) -> None:
        self._odd = b""

    def pcm_of(self, message: BaseMessage) -> bytes:
        speech = speech_of(message)
        if speech is not None:
            raw = _pcm_of(speech[0])
        elif data := _audio_b64_of(message):
            raw = _pcm_of([data])
        else:
            return b""
        if self._odd:
            raw = self._odd + raw
        cut = len(raw) - len(raw) % _SAMPLE_BYTES
        self._odd = raw[cut:]
        return raw[:cut]


def iter_pcm(chunks: Iterable[BaseMessage]) -> Iterator[bytes]:
    """Yield the PCM of each streamed chunk as it arrives, for live playback.

    Example:
        ```python
        for pcm in iter_pcm(model.stream("Say hello")):
            speaker.write(pcm)  # int16 mono at 24 kHz
        ```
    """
    aligner = _SampleAligner()
    for chunk in chunks:
        if pcm := aligner.pcm_of(chunk):
            yield pcm


async def aiter_pcm(chunks: AsyncIterable[BaseMessage]) -> AsyncIterator[bytes]:
    """Async twin of `iter_pcm`, for `astream`."""
    aligner = _SampleAligner()
    async for chunk in chunks:
        if pcm := aligner.pcm_of(chunk):
            yield pcm
