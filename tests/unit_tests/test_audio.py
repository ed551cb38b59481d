"""OmniAudio and live PCM iteration."""

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_qwen_omni import OmniAudio, OmniInputError, aiter_pcm, iter_pcm
from langchain_qwen_omni.audio import PcmRealigner


def tone(seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(24000 * seconds)) / 24000
    return (np.sin(2 * np.pi * 220 * t) * 12000).astype("<i2")


def speech_message(samples: np.ndarray) -> AIMessage:
    data = base64.b64encode(samples.tobytes()).decode()
    return AIMessage(
        content="Hello",
        additional_kwargs={
            "audio": {
                "id": "audio_1",
                "data": data,
                "transcript": "Hello",
                "expires_at": 1757647879,
                "format": "pcm16",
                "sample_rate": 24000,
                "channels": 1,
            }
        },
    )


def test_realigner_emits_six_byte_pieces_and_flushes_tail() -> None:
    realigner = PcmRealigner()
    raw = bytes(range(256)) * 3
    out = [
        realigner.push(base64.b64encode(raw[i : i + 7]).decode())
        for i in range(0, len(raw), 7)
    ]
    out.append(realigner.flush())
    assert all(len(base64.b64decode(p)) % 6 == 0 for p in out[:-1])
    assert base64.b64decode("".join(out)) == raw
    assert realigner.pcm_bytes == len(raw)


def test_from_message_decodes_samples() -> None:
    samples = tone()
    audio = OmniAudio.from_message(speech_message(samples))
    assert np.array_equal(audio.to_numpy(), samples)
    assert audio.sample_rate == 24000
    assert audio.channels == 1
    assert audio.duration == pytest.approx(0.5)
    assert audio.transcript == "Hello"
    assert audio.id == "audio_1"
    assert audio.expires_at == 1757647879


def test_from_message_reads_v1_audio_block() -> None:
    samples = tone(0.1)
    message = AIMessage(
        content=[
            {"type": "text", "text": "Hi"},
            {"type": "audio", "base64": base64.b64encode(samples.tobytes()).decode()},
        ]
    )
    assert np.array_equal(OmniAudio.from_message(message).to_numpy(), samples)


def test_from_message_without_speech_explains_how_to_ask() -> None:
    with pytest.raises(OmniInputError, match=r'modalities=\["text", "audio"\]'):
        OmniAudio.from_message(AIMessage(content="Hi"))


def test_naively_joined_padded_base64_gets_a_helpful_error() -> None:
    bad = base64.b64encode(b"abcd").decode() + base64.b64encode(b"ef").decode()
    message = AIMessage(content="", additional_kwargs={"audio": {"data": bad}})
    with pytest.raises(OmniInputError, match="from_chunks"):
        OmniAudio.from_message(message)


def test_from_chunks_accepts_unaligned_padded_pieces() -> None:
    samples = tone(0.2)
    raw = samples.tobytes()
    chunks = [
        AIMessageChunk(
            content=t,
            additional_kwargs={
                "audio": {"data": base64.b64encode(raw[i : i + 1001]).decode()}
            },
        )
        for t, i in zip(
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
            range(0, len(raw), 1001),
            strict=False,
        )
    ]
    audio = OmniAudio.from_chunks(chunks)
    assert audio.pcm == raw[: 1001 * len(chunks)]


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_save_lossless_round_trips_sample_for_sample(
    tmp_path: Path, suffix: str
) -> None:
    samples = tone()
    path = OmniAudio.from_message(speech_message(samples)).save(
        tmp_path / f"out{suffix}"
    )
    data, rate = sf.read(path, dtype="int16")
    assert rate == 24000
    assert np.array_equal(data, samples)


def test_save_ogg_and_pcm(tmp_path: Path) -> None:
    audio = OmniAudio.from_message(speech_message(tone()))
    ogg = audio.save(tmp_path / "out.ogg")
    data, rate = sf.read(ogg, dtype="int16")
    assert rate == 24000
    assert abs(len(data) - 12000) < 1200  # lossy codecs may pad
    assert audio.save(tmp_path / "out.pcm").read_bytes() == audio.pcm


def test_save_unknown_suffix_names_the_supported_ones(tmp_path: Path) -> None:
    audio = OmniAudio.from_message(speech_message(tone(0.1)))
    with pytest.raises(OmniInputError, match=r"'\.aiff'.*\.wav, \.flac"):
        audio.save(tmp_path / "out.aiff")
    assert not (tmp_path / "out.aiff").exists()


def test_to_wav_bytes_is_a_16_bit_wav() -> None:
    samples = tone(0.1)
    wav = OmniAudio.from_message(speech_message(samples)).to_wav_bytes()
    assert wav[:4] == b"RIFF"
    info = sf.info(__import__("io").BytesIO(wav))
    assert (info.samplerate, info.channels, info.subtype) == (24000, 1, "PCM_16")


def test_iter_pcm_yields_whole_samples_as_they_arrive() -> None:
    raw = tone(0.1).tobytes()
    pieces = [raw[:3], raw[3:1001], raw[1001:]]
    chunks = [
        AIMessageChunk(
            content="",
            additional_kwargs={"audio": {"data": base64.b64encode(p).decode()}},
        )
        for p in pieces
    ]
    chunks.insert(1, AIMessageChunk(content="text only"))
    out = list(iter_pcm(chunks))
    assert all(len(p) % 2 == 0 for p in out)
    assert b"".join(out) == raw


async def test_aiter_pcm() -> None:
    raw = tone(0.1).tobytes()

    async def chunks() -> AsyncIterator[AIMessageChunk]:
        for i in range(0, len(raw), 999):
            yield AIMessageChunk(
                content="",
                additional_kwargs={
                    "audio": {"data": base64.b64encode(raw[i : i + 999]).decode()}
                },
            )

    out = [p async for p in aiter_pcm(chunks())]
    assert b"".join(out) == raw
