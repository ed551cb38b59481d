"""WavPieceDecoder: vLLM-Omni's speech pieces in, Omni's 24 kHz PCM out."""

from __future__ import annotations

import base64
import io
import itertools
import struct

import numpy as np
import pytest
import soundfile as sf

from langchain_qwen_omni._wav_pieces import WavPieceDecoder, WavPieceError

RNG = np.random.default_rng(7)
PCM = RNG.integers(-20_000, 20_000, 12_001, dtype=np.int16)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def wav(samples: np.ndarray, rate: int = 24_000, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def raw_wav(payload: bytes, rate: int = 24_000, size: int | None = None) -> bytes:
    """A WAV header written by hand, so the data may hold any byte count."""
    declared = len(payload) if size is None else size
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(payload))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", declared)
        + payload
    )


def decode(pieces: list[bytes]) -> bytes:
    decoder = WavPieceDecoder()
    return b"".join(decoder.push(b64(piece)) for piece in pieces)


def test_a_header_on_every_piece_is_stripped_sample_for_sample() -> None:
    pieces = [wav(PCM[i : i + 1500]) for i in range(0, PCM.size, 1500)]
    assert decode(pieces) == PCM.tobytes()


def test_odd_byte_counts_join_across_pieces() -> None:
    raw = PCM.tobytes()
    cuts = [0, 3201, 8000, 12_799, 16_000, len(raw)]
    pieces = [raw_wav(raw[a:b]) for a, b in itertools.pairwise(cuts)]
    assert decode(pieces) == raw


def test_a_header_on_the_first_piece_only_then_raw_pcm() -> None:
    raw = PCM.tobytes()
    first = raw_wav(raw[:4001], size=0xFFFFFFFF)  # streaming WAV: size unknown
    rest = [raw[i : i + 777] for i in range(4001, len(raw), 777)]
    assert decode([first, *rest]) == raw


def test_pieces_without_any_header_are_24khz_pcm() -> None:
    raw = PCM.tobytes()
    assert decode([raw[:1001], raw[1001:]]) == raw


def test_a_header_split_across_pieces_waits_for_the_rest() -> None:
    data = wav(PCM[:500])
    assert decode([data[:20], data[20:30], data[30:]]) == PCM[:500].tobytes()


def test_chunks_before_data_and_a_pad_byte_after_it_are_skipped() -> None:
    payload = PCM[:100].tobytes() + b"\x01"  # 201 bytes: an odd data chunk
    data = raw_wav(payload)
    listed = data[:36] + b"LIST" + struct.pack("<I", 5) + b"abcde\x00" + data[36:]
    decoder = WavPieceDecoder()
    out = decoder.push(b64(listed + b"\x00"))  # the pad byte of the odd chunk
    assert out == PCM[:100].tobytes()  # the odd byte waits for its pair


def test_unpadded_base64_is_decoded_on_its_own() -> None:
    data = wav(PCM[:333])
    assert WavPieceDecoder().push(b64(data).rstrip("=")) == PCM[:333].tobytes()


def test_float_stereo_and_8_bit_are_converted() -> None:
    mono = np.linspace(-0.5, 0.5, 2400)
    stereo = np.stack([mono, mono], axis=1)
    out = np.frombuffer(decode([wav(stereo, subtype="FLOAT")]), dtype="<i2")
    assert out.size == 2400
    assert np.max(np.abs(out - np.rint(mono * 32768))) <= 1
    eight = np.frombuffer(decode([wav(mono, subtype="PCM_U8")]), dtype="<i2")
    assert np.max(np.abs(eight - mono * 32768)) < 300


@pytest.mark.parametrize("rate", [16_000, 22_050, 48_000])
def test_other_rates_are_resampled_to_24khz_without_clicks(rate: int) -> None:
    seconds = 1.0
    t = np.arange(int(rate * seconds)) / rate
    tone = (np.sin(2 * np.pi * 220 * t) * 10_000).astype(np.int16)
    pieces = [wav(tone[i : i + 1111], rate) for i in range(0, tone.size, 1111)]
    decoder = WavPieceDecoder()
    out = np.frombuffer(b"".join(decoder.push(b64(p)) for p in pieces), dtype="<i2")
    assert decoder.source_format.sample_rate == rate
    assert abs(out.size - 24_000 * seconds) <= 2
    expected = np.sin(2 * np.pi * 220 * np.arange(out.size) / 24_000) * 10_000
    assert np.max(np.abs(out - expected)) < 400  # linear interpolation, no jumps


def test_going_down_in_rate_filters_what_24khz_cannot_hold() -> None:
    t = np.arange(48_000) / 48_000
    high = (np.sin(2 * np.pi * 18_000 * t) * 10_000).astype(np.int16)
    out = np.frombuffer(decode([wav(high, 48_000)]), dtype="<i2")
    assert out.size == 24_000
    assert np.max(np.abs(out[10:])) < 5_000  # not a full-strength 6 kHz alias


def test_bad_pieces_raise_a_typed_error() -> None:
    with pytest.raises(WavPieceError, match="not valid base64"):
        WavPieceDecoder().push("@@@@")
    broken = bytearray(raw_wav(b"\x00\x00"))
    broken[20:22] = struct.pack("<H", 2)  # ADPCM
    with pytest.raises(WavPieceError, match="only integer PCM"):
        WavPieceDecoder().push(b64(bytes(broken)))
