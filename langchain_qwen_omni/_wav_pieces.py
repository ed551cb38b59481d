"""Speech pieces as vLLM-Omni streams them, turned into Omni's 24 kHz PCM.

vLLM-Omni sends each piece of speech as the base64 of a whole WAV file (a
RIFF header on every piece), where DashScope sends raw PCM. A fixed server
may send the header once, then raw PCM; another may pick another sample
rate, sample format or channel count, or cut pieces at odd byte counts.
`WavPieceDecoder` takes any of these, piece by piece, and gives signed
16-bit little-endian mono PCM at 24 kHz, so the rest of the package (the
realigned chunks, `OmniAudio`) sees what DashScope would have sent.

At 24 kHz mono 16-bit (what vLLM-Omni sends) the samples pass through
unchanged: the PCM out is byte for byte the PCM in the WAV files. Other
formats are converted, and other rates resampled (`_resample`), carrying
state across pieces so the result does not click at their joins.
Each piece costs time linear in its size.
"""

from __future__ import annotations

import binascii
import dataclasses
import struct
from typing import TYPE_CHECKING

from langchain_qwen_omni._pcm import decode_wire_b64
from langchain_qwen_omni.audio import OMNI_SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from langchain_qwen_omni._resample import LinearResampler

__all__ = ["PcmFormat", "WavPieceDecoder", "decode_piece_b64"]

_PCM_INT = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
"""`data` sizes of a WAV written while streaming: the size is not known."""
_HEADER_MAX = 64 * 1024
"""A WAV header longer than this is not a header: the piece is refused."""


class WavPieceError(ValueError):
    """A speech piece that cannot be read (bad base64, a broken WAV header)."""


@dataclasses.dataclass(frozen=True)
class PcmFormat:
    """How the samples in a WAV `data` chunk are laid out."""

    sample_rate: int = OMNI_SAMPLE_RATE
    channels: int = 1
    bits: int = 16
    encoding: int = _PCM_INT
    """1 for integer PCM, 3 for IEEE float."""

    @property
    def frame_bytes(self) -> int:
        """Bytes of one sample on every channel."""
        return self.channels * self.bits // 8

    @property
    def is_omni(self) -> bool:
        """Whether samples pass through as they are (24 kHz mono s16le)."""
        return (
            self.sample_rate == OMNI_SAMPLE_RATE
            and self.channels == 1
            and self.bits == 16  # noqa: PLR2004
            and self.encoding == _PCM_INT
        )


def decode_piece_b64(piece: str) -> bytes:
    """Decode one piece's base64, tolerating missing `=` padding.

    Raises:
        WavPieceError: If the piece is not base64.
    """
    text = piece.strip()
    if len(text) % 4 == 1:
        msg = f"a speech piece of {len(text)} base64 characters cannot be decoded"
        raise WavPieceError(msg)
    try:
        return decode_wire_b64(text)
    except binascii.Error as exc:
        msg = f"a speech piece is not valid base64 ({exc})"
        raise WavPieceError(msg) from None


def _is_riff(data: bytes | bytearray) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def _parse_fmt(body: bytes) -> PcmFormat:
    if len(body) < 16:  # noqa: PLR2004 - the fixed part of a fmt chunk
        msg = "a WAV fmt chunk is shorter than 16 bytes"
        raise WavPieceError(msg)
    encoding, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    if encoding == _EXTENSIBLE and len(body) >= 26:  # noqa: PLR2004
        encoding = struct.unpack_from("<H", body, 24)[0]
    supported = {(_PCM_INT, 8), (_PCM_INT, 16), (_PCM_INT, 24), (_PCM_INT, 32)}
    supported |= {(_FLOAT, 32), (_FLOAT, 64)}
    if (encoding, bits) not in supported or not channels or not rate:
        msg = (
            f"a WAV speech piece has format {encoding} with {bits} bits, "
            f"{channels} channel(s) at {rate} Hz: only integer PCM (8 to 32 "
            "bits) and float PCM (32 or 64 bits) are read"
        )
        raise WavPieceError(msg)
    return PcmFormat(rate, channels, bits, encoding)


def _parse_header(data: bytes | bytearray) -> tuple[PcmFormat | None, int, int] | None:
    """Find the `data` chunk of a RIFF file: (format, start, declared size).

    `None` when the header is not complete yet (more bytes are needed).
    """
    fmt: PcmFormat | None = None
    position = 12
    while position + 8 <= len(data):
        chunk_id = bytes(data[position : position + 4])
        size = struct.unpack_from("<I", data, position + 4)[0]
        body_start = position + 8
        if chunk_id == b"data":
            return fmt, body_start, size
        if body_start + size > len(data):
            break
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(bytes(data[body_start : body_start + size]))
        position = body_start + size + (size & 1)
    if len(data) > _HEADER_MAX:
        msg = "a WAV speech piece has no data chunk in its first 64 KiB"
        raise WavPieceError(msg)
    return None


class WavPieceDecoder:
    """vLLM-Omni speech pieces in, 24 kHz mono s16le PCM out.

    Feed each piece's base64 with `push`. A piece that starts with a RIFF
    header is read as a WAV file (its `data` chunk, by its declared size, or
    to the end of the piece when the size is unknown or too large); a piece
    without one continues the samples in the last format seen (24 kHz mono
    16-bit before any). A sample frame cut by the end of the answer (an odd
    byte of a 16-bit sample) cannot be played and is never returned.
    """

    __slots__ = ("_carry", "_format", "_header", "_resampler")

    def __init__(self) -> None:
        """Start before the first piece."""
        self._format = PcmFormat()
        self._carry = b""
        """Bytes of a sample frame cut by the end of a piece."""
        self._header = bytearray()
        """The start of a WAV file whose header has not fully arrived."""
        self._resampler: LinearResampler | None = None

    @property
    def source_format(self) -> PcmFormat:
        """The format of the samples the server sends (as last seen)."""
        return self._format

    def push(self, piece_b64: str) -> bytes:
        """Decode one piece; return the 24 kHz mono s16le PCM it completes.

        Raises:
            WavPieceError: If the piece is not base64 or its WAV header is broken.
        """
        data = decode_piece_b64(piece_b64)
        if self._header:
            self._header += data
            data = bytes(self._header)
            self._header = bytearray()
        out: list[bytes] = []
        while data:
            if not _is_riff(data):
                out.append(self._samples(data))
                break
            found = _parse_header(data)
            if found is None:
                self._header = bytearray(data)
                break
            fmt, start, size = found
            if fmt is not None and fmt != self._format:
                self._set_format(fmt)
            available = len(data) - start
            take = available if size in _UNKNOWN_SIZES or size > available else size
            out.append(self._samples(data[start : start + take]))
            rest = data[start + take + (take & 1) :]
            data = rest if _is_riff(rest) else b""  # trailing chunks are not sound
        return b"".join(out)

    def _set_format(self, fmt: PcmFormat) -> None:
        self._carry = b""
        self._format = fmt
        rate = fmt.sample_rate
        if rate == OMNI_SAMPLE_RATE:
            self._resampler = None
        else:
            from langchain_qwen_omni._resample import (  # noqa: PLC0415 - numpy
                LinearResampler,
            )

            self._resampler = LinearResampler(rate, OMNI_SAMPLE_RATE)

    def _samples(self, raw: bytes) -> bytes:
        """Whole sample frames of `raw` (after the carry), as Omni PCM."""
        if self._carry:
            raw = self._carry + raw
        frame = self._format.frame_bytes
        cut = len(raw) - len(raw) % frame
        self._carry = raw[cut:]
        if not cut:
            return b""
        if self._format.is_omni:
            return raw[:cut]
        return self._convert(raw[:cut])

    def _convert(self, raw: bytes) -> bytes:
        import numpy as np  # noqa: PLC0415 - only for formats other than Omni's

        fmt = self._format
        samples: npt.NDArray[np.float64]
        if fmt.encoding == _FLOAT:
            dtype = "<f4" if fmt.bits == 32 else "<f8"  # noqa: PLR2004
            samples = np.frombuffer(raw, dtype=dtype).astype(np.float64) * 32768.0
        elif fmt.bits == 8:  # noqa: PLR2004 - unsigned, centred on 128
            samples = (
                np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128
            ) * 256
        elif fmt.bits == 24:  # noqa: PLR2004
            triplets = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
            wide = np.zeros((triplets.shape[0], 4), dtype=np.uint8)
            wide[:, 1:] = triplets
            samples = wide.view("<i4").ravel().astype(np.float64) / 65536.0
        else:
            dtype = "<i2" if fmt.bits == 16 else "<i4"  # noqa: PLR2004
            scale = 1.0 if fmt.bits == 16 else 1 / 65536.0  # noqa: PLR2004
            samples = np.frombuffer(raw, dtype=dtype).astype(np.float64) * scale
        if fmt.channels > 1:
            samples = samples.reshape(-1, fmt.channels).mean(axis=1)
        if self._resampler is not None:
            samples = self._resampler.push(samples)
        clipped = np.clip(np.rint(samples), -32768, 32767)
        return clipped.astype("<i2").tobytes()
