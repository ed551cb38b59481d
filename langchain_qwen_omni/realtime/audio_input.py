"""Microphone and file audio to what the realtime API hears: 16 kHz mono PCM16.

`read_audio` turns whatever the caller has (PCM bytes at a given rate, numpy
samples, an `OmniAudio`, a sound file, an `audio_block`) into float samples
and their rate; a `PcmResampler` per session converts them to 16 kHz as a
stream, so consecutive pieces of one recording join without clicks; and
`split_pieces` cuts the result into the ~100 ms appends the API expects.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_qwen_omni._pcm import decode_b64
from langchain_qwen_omni._resample import LinearResampler
from langchain_qwen_omni.audio import OmniAudio
from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy.typing as npt

__all__ = [
    "INPUT_SAMPLE_RATE",
    "PIECE_BYTES",
    "PcmResampler",
    "read_audio",
    "split_pieces",
]

INPUT_SAMPLE_RATE = 16_000
"""What every realtime model takes: 16 kHz mono PCM16."""
PIECE_BYTES = INPUT_SAMPLE_RATE * 2 // 10
"""100 ms of input audio."""
_FILE_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"FORM")
_MP3_FRAME = (b"\xff\xfb", b"\xff\xf3")
"""A bare MP3 frame's first bytes, which are also a PCM16 sample (-1025 or
-3073): bytes given with a `sample_rate` are raw PCM even when they start so."""
_MAX_CHANNELS = 8


def read_audio(
    source: Any, sample_rate: int | None = None, channels: int = 1
) -> tuple[npt.NDArray[np.float32], int]:
    """Mono float samples in [-1, 1] and their rate, from any supported source.

    Args:
        source: Raw PCM16 little-endian bytes (needs `sample_rate`), sound
            file bytes (WAV, FLAC, OGG, MP3), a path to a sound file, numpy
            samples (1-D mono or frames x channels; int16 or float in [-1, 1];
            needs `sample_rate`), an `OmniAudio`, or an `audio_block(...)`.
        sample_rate: Samples per second of raw PCM and numpy input.
        channels: Interleaved channels of raw PCM bytes.

    Raises:
        OmniInputError: For a missing file, undecodable audio, a missing
            `sample_rate`, or samples of the wrong shape or type.
    """
    if isinstance(source, OmniAudio):
        return _from_pcm(source.pcm, source.sample_rate, source.channels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if data.startswith(_FILE_MAGIC) or (
            sample_rate is None and data.startswith(_MP3_FRAME)
        ):
            return _from_file(io.BytesIO(data), "the audio bytes")
        return _from_pcm(data, _require_rate(sample_rate, "raw PCM bytes"), channels)
    if isinstance(source, (str, Path)):
        return _from_path(Path(source))
    if isinstance(source, np.ndarray):
        return _from_array(source, _require_rate(sample_rate, "a numpy array"))
    if isinstance(source, Mapping):
        return _from_block(source)
    msg = (
        f"Cannot send {type(source).__name__} as audio: pass PCM16 bytes with "
        "sample_rate=, numpy samples with sample_rate=, an OmniAudio, a sound "
        "file path, or audio_block(...)."
    )
    raise OmniInputError(msg)


def _require_rate(sample_rate: int | None, what: str) -> int:
    if sample_rate is None or sample_rate <= 0:
        msg = f"send_audio needs sample_rate= (samples per second) for {what}."
        raise OmniInputError(msg)
    return int(sample_rate)


def _from_pcm(
    pcm: bytes, sample_rate: int, channels: int
) -> tuple[npt.NDArray[np.float32], int]:
    if not 1 <= channels <= _MAX_CHANNELS:
        msg = f"channels must be 1 to {_MAX_CHANNELS}, got {channels}."
        raise OmniInputError(msg)
    frame = 2 * channels
    usable = len(pcm) - len(pcm) % frame
    samples = np.frombuffer(pcm, dtype="<i2", count=usable // 2)
    return _mono(samples.reshape(-1, channels)), sample_rate


def _from_array(
    array: npt.NDArray[Any], sample_rate: int
) -> tuple[npt.NDArray[np.float32], int]:
    if array.ndim not in (1, 2) or (
        array.ndim == 2 and not 1 <= array.shape[1] <= _MAX_CHANNELS  # noqa: PLR2004
    ):
        msg = (
            f"Audio samples must be 1-D (mono) or frames x channels, got shape "
            f"{array.shape}."
        )
        raise OmniInputError(msg)
    if not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.floating)
    ):
        msg = f"Audio samples must be integers or floats, got {array.dtype}."
        raise OmniInputError(msg)
    frames = array if array.ndim == 2 else array[:, None]  # noqa: PLR2004
    return _mono(frames), sample_rate


def _mono(frames: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """Average the channels into float32 samples in [-1, 1]."""
    if np.issubdtype(frames.dtype, np.integer):
        scale = float(2 ** (8 * frames.dtype.itemsize - 1))
        floats = frames.astype(np.float32) / scale
    else:
        floats = frames.astype(np.float32, copy=False)
    mono = floats[:, 0] if floats.shape[1] == 1 else floats.mean(axis=1)
    clipped: npt.NDArray[np.float32] = np.clip(mono, -1.0, 1.0).astype(np.float32)
    return clipped


def _from_path(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    if not path.is_file():
        reason = "it is a directory" if path.is_dir() else "no such file"
        msg = f"Cannot send audio from {str(path)!r}: {reason}."
        raise OmniInputError(msg)
    return _from_file(path, repr(str(path)))


def _from_file(file: Any, what: str) -> tuple[npt.NDArray[np.float32], int]:
    """Decode with soundfile; PyAV (the `video` extra) for what soundfile lacks."""
    import soundfile as sf  # noqa: PLC0415  # a native library: load on use

    try:
        frames, rate = sf.read(file, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        decoded = _decode_with_av(file)
        if decoded is None:
            msg = (
                f"Cannot decode {what} as audio ({exc}). WAV, FLAC, OGG and MP3 "
                "work as they are; other formats need PyAV: "
                'pip install "langchain-qwen-omni[video]".'
            )
            raise OmniInputError(msg) from exc
        return decoded
    return _mono(frames), int(rate)


def _decode_with_av(file: Any) -> tuple[npt.NDArray[np.float32], int] | None:
    try:
        import av  # noqa: PLC0415  # optional
    except ImportError:
        return None
    if hasattr(file, "seek"):
        file.seek(0)
    try:
        with av.open(file) as container:
            resampler = av.AudioResampler(
                format="s16", layout="mono", rate=INPUT_SAMPLE_RATE
            )
            pcm = bytearray()
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    pcm += out.to_ndarray().tobytes()
            for out in resampler.resample(None):
                pcm += out.to_ndarray().tobytes()
    except (av.FFmpegError, ValueError, IndexError, OSError):
        return None
    return _from_pcm(bytes(pcm), INPUT_SAMPLE_RATE, 1)


def _from_block(block: Mapping[str, Any]) -> tuple[npt.NDArray[np.float32], int]:
    """An `audio_block(...)`: its base64 data, or the path it names."""
    if block.get("type") != "audio":
        kind = block.get("type")
        msg = f"A content block sent as audio must be an audio block, got {kind!r}."
        raise OmniInputError(msg)
    extras = block.get("extras")
    if isinstance(extras, Mapping) and isinstance(extras.get("path"), str):
        return _from_path(Path(extras["path"]))
    data = block.get("base64") or block.get("data")
    if isinstance(data, str):
        try:
            raw = decode_b64(data)
        except ValueError as exc:  # binascii.Error, or a non-ASCII string
            msg = "The audio block's base64 does not decode."
            raise OmniInputError(msg) from exc
        return _from_file(io.BytesIO(raw), "the audio block")
    msg = (
        "An audio block sent to a realtime session needs base64 data or a "
        "local path, not a URL."
    )
    raise OmniInputError(msg)


class PcmResampler:
    """Resample a stream of mono float pieces to 16 kHz PCM16, keeping continuity.

    The package's `LinearResampler` (linear interpolation, low-passed when
    the rate goes down), whose state carries over from one piece to the
    next, so a recording sent piece by piece gives the same samples as sent
    whole. A change of input rate starts a new stream.
    """

    __slots__ = ("_rate", "_resampler")

    def __init__(self) -> None:
        """Start a new stream."""
        self._rate: int | None = None
        self._resampler: LinearResampler | None = None

    def push(self, samples: npt.NDArray[np.float32], rate: int) -> bytes:
        """Resample one piece; return 16 kHz mono PCM16 bytes (may be empty)."""
        if rate != self._rate:
            self._rate = rate
            self._resampler = (
                None
                if rate == INPUT_SAMPLE_RATE
                else LinearResampler(rate, INPUT_SAMPLE_RATE)
            )
        if self._resampler is not None:
            return _to_pcm16(self._resampler.push(samples))
        return _to_pcm16(samples)


def _to_pcm16(samples: npt.NDArray[np.floating[Any]]) -> bytes:
    scaled = np.clip(np.round(samples * 32767.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


def split_pieces(pcm: bytes, piece_bytes: int = PIECE_BYTES) -> Iterator[memoryview]:
    """Cut PCM into appends of `piece_bytes` (100 ms), the last one shorter.

    Views, one at a time: an hour of speech is not copied into pieces up front.
    """
    view = memoryview(pcm)
    for start in range(0, len(view), piece_bytes):
        yield view[start : start + piece_bytes]
