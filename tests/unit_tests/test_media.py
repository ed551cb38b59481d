"""Block helpers, mime sniffing, audio formats, base64 and data URLs."""

from __future__ import annotations

import base64
import io
import zlib
from typing import TYPE_CHECKING, Any

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from langchain_qwen_omni import (
    OmniAudio,
    OmniInputError,
    audio_block,
    image_block,
    video_block,
    video_frames_block,
)
from langchain_qwen_omni._codec import (
    b64decode_steps,
    b64encode,
    check_base64,
    data_url,
    url_scheme,
)
from langchain_qwen_omni._probe import audio_format, mime_for_kind, sniff_mime_type
from tests import media

if TYPE_CHECKING:
    from pathlib import Path


def decoded(block: Any) -> bytes:
    return base64.b64decode(block["base64"], validate=True)


# ------------------------------------------------------------------ sniffing
@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (media.png, "image/png"),
        (media.jpeg, "image/jpeg"),
        (media.wav, "audio/wav"),
        (media.mp3, "audio/mpeg"),
        (media.flac, "audio/flac"),
        (media.ogg, "audio/ogg"),
        (media.mp4, "video/mp4"),
        (lambda: b"GIF89a" + bytes(10), "image/gif"),
        (lambda: b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (lambda: b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo"),
        (lambda: b"BM" + bytes(12) + b"\x28\x00\x00\x00" + bytes(8), "image/bmp"),
        (lambda: b"II*\x00" + bytes(8), "image/tiff"),
        (lambda: b"\x00\x00\x00\x18ftypheic" + bytes(8), "image/heic"),
        (lambda: b"\x00\x00\x00\x18ftypavif" + bytes(8), "image/avif"),
        (lambda: b"\x00\x00\x00\x18ftypM4A " + bytes(8), "audio/mp4"),
        (lambda: b"\x00\x00\x00\x18ftyp3gp4" + bytes(8), "video/3gpp"),
        (lambda: b"\x00\x00\x00\x14ftypqt  " + bytes(8), "video/quicktime"),
        (lambda: b"#!AMR\n" + bytes(8), "audio/amr"),
        (lambda: b"ID3\x04\x00" + bytes(8), "audio/mpeg"),
        (lambda: b"\xff\xf1\x50\x80" + bytes(8), "audio/aac"),
        (lambda: b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm", "video/webm"),
        (lambda: b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", "video/x-matroska"),
        (lambda: b"FLV\x01\x05" + bytes(8), "video/x-flv"),
        (
            lambda: bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(8),
            "video/x-ms-wmv",
        ),
    ],
)
def test_sniff_mime_type(make: Any, mime: str) -> None:
    assert sniff_mime_type(make()) == mime


@pytest.mark.parametrize(
    "data", [b"", b"hello world", b"BM" + bytes(30), b"RIFF\x00\x00\x00\x00JUNK"]
)
def test_sniff_unknown_is_none(data: bytes) -> None:
    assert sniff_mime_type(data) is None


def test_containers_are_renamed_for_audio() -> None:
    assert mime_for_kind("video/mp4", "audio") == "audio/mp4"
    assert mime_for_kind("video/3gpp", "audio") == "audio/3gpp"
    assert mime_for_kind("video/mp4", "video") == "video/mp4"
    assert mime_for_kind("image/png", "audio") is None


# ------------------------------------------------------------- audio format
@pytest.mark.parametrize(
    ("mime", "url", "fmt"),
    [
        ("audio/mpeg", None, "mp3"),
        ("audio/mp3", None, "mp3"),
        ("audio/x-wav", None, "wav"),
        ("audio/wav", None, "wav"),
        ("audio/wave; codecs=1", None, "wav"),
        ("audio/aac", None, "aac"),
        ("audio/mp4", None, "aac"),
        ("audio/x-m4a", None, "aac"),
        ("audio/amr", None, "amr"),
        ("audio/3gpp", None, "3gpp"),
        ("AUDIO/MPEG", None, "mp3"),
        (None, "https://x.test/a/b.mp3", "mp3"),
        (None, "https://x.test/b.WAV?sig=abc.mp3&x=.aac", "wav"),
        (None, "https://x.test/b.m4a#t=1.mp3", "aac"),
        (None, "https://x.test/voice.amr", "amr"),
        (None, "https://x.test/clip.3gp", "3gp"),
        (None, "https://x.test/clip.3gpp", "3gpp"),
        (None, "https://x.test/clip.aac", "aac"),
        ("application/octet-stream", "https://x.test/a.mp3", "mp3"),
        (None, "https://x.test/no-suffix", None),
        (None, "https://x.test/dir.mp3/file?x", None),
        (None, None, None),
        ("image/png", None, None),
        ("audio/3gp", None, "3gp"),
        ("audio/x-aiff", None, "aiff"),
        ("audio/odd type", None, None),
    ],
)
def test_audio_format(mime: str | None, url: str | None, fmt: str | None) -> None:
    assert audio_format(mime, url) == fmt


# ------------------------------------------------------- base64, data URLs
@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 786_431, 786_432, 786_433, 2_000_003])
def test_b64encode_in_steps_equals_one_shot(size: int) -> None:
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert b64encode(data) == base64.b64encode(data).decode()


def test_check_base64_returns_bytes_and_head() -> None:
    data = bytes(range(256)) * 5000
    text = base64.b64encode(data).decode()
    assert check_base64(text) == (text, data)
    assert check_base64(text, keep=64) == (text, data[:64])


def test_check_base64_removes_line_breaks() -> None:
    data = media.png()
    wrapped = base64.encodebytes(data).decode()
    assert "\n" in wrapped
    clean, raw = check_base64(wrapped)
    assert raw == data
    assert clean == base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("abc", "multiple of 4"),
        ("ab=c", "not valid base64"),
        ("a=bcdefg", "padding before its end"),
        ("abc*", "not valid base64"),
        ("abcé", "outside the base64 alphabet"),
        ("-_-_", "not valid base64"),
    ],
)
def test_check_base64_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_base64(text)


def test_data_url() -> None:
    assert data_url("QUJD", "image/png") == "data:image/png;base64,QUJD"
    assert data_url("QUJD") == "data:;base64,QUJD"


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("https://x.test/a.png", "https"),
        ("HTTP://x.test", "http"),
        ("data:;base64,AAAA", "data"),
        ("file:///tmp/a.png", "file"),
        ("s3://bucket/key", "s3"),
        ("/media/a.png", None),
        ("a.png", None),
        ("C:\\media\\a.png", None),
        ("C:/media/a.png", None),
    ],
)
def test_url_scheme(text: str, scheme: str | None) -> None:
    assert url_scheme(text) == scheme


# ------------------------------------------------------------ image_block
def test_image_block_from_path_reads_nothing_but_the_head(tmp_path: Path) -> None:
    path = media.write(tmp_path / "photo.bin", media.jpeg())
    block = image_block(path)
    assert block == {
        "type": "image",
        "mime_type": "image/jpeg",
        "extras": media.sealed(path),
    }
    assert image_block(str(path)) == block


def test_image_block_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media.write(tmp_path / "a.png", media.png())
    monkeypatch.chdir(tmp_path)
    assert image_block("a.png")["extras"] == media.sealed(tmp_path / "a.png")


def test_image_block_content_beats_suffix(tmp_path: Path) -> None:
    path = media.write(tmp_path / "really-a-png.jpg", media.png())
    assert image_block(path)["mime_type"] == "image/png"


def test_image_block_from_bytes() -> None:
    block = image_block(media.png(20, 10))
    assert block["mime_type"] == "image/png"
    assert decoded(block) == media.png(20, 10)
    assert set(block) == {"type", "base64", "mime_type"}


def test_image_block_from_url_keeps_it() -> None:
    assert image_block("https://x.test/cat.png?s=1") == {
        "type": "image",
        "url": "https://x.test/cat.png?s=1",
    }
    assert image_block("https://x.test/cat", mime_type="image/webp") == {
        "type": "image",
        "url": "https://x.test/cat",
        "mime_type": "image/webp",
    }


@pytest.mark.parametrize(
    ("shape", "mode"), [((6, 9, 3), "RGB"), ((6, 9, 4), "RGBA"), ((6, 9), "L")]
)
def test_image_block_from_array_is_a_lossless_png(
    shape: tuple[int, ...], mode: str
) -> None:
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    block = image_block(array)
    assert block["mime_type"] == "image/png"
    image = Image.open(io.BytesIO(decoded(block)))
    assert (image.mode, image.size) == (mode, (9, 6))
    assert np.array_equal(np.asarray(image), array)


def test_image_block_from_non_contiguous_array() -> None:
    array = media.rgb_array(12, 8)[::2, ::3]
    image = Image.open(io.BytesIO(decoded(image_block(array))))
    assert np.array_equal(np.asarray(image), array)


def test_image_block_from_pil_image() -> None:
    picture = Image.fromarray(media.rgb_array(7, 5))
    block = image_block(picture)
    assert block["mime_type"] == "image/png"
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(decoded(block)))), media.rgb_array(7, 5)
    )


def test_image_block_from_pil_image_in_other_mode() -> None:
    picture = Image.fromarray(media.rgb_array(7, 5)).convert("CMYK")
    image = Image.open(io.BytesIO(decoded(image_block(picture))))
    assert (image.mode, image.size) == ("RGB", (7, 5))


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((4, 4, 3), dtype=np.float32), "HxWx3"),
        (np.zeros((4, 4, 2), dtype=np.uint8), r"shape \(4, 4, 2\)"),
        (np.zeros((2, 4, 4, 3), dtype=np.uint8), "HxWx3"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "empty"),
    ],
)
def test_image_block_refuses_wrong_arrays(array: Any, match: str) -> None:
    with pytest.raises(OmniInputError, match=match):
        image_block(array)


def test_image_block_errors(tmp_path: Path) -> None:
    with pytest.raises(OmniInputError, match="does not exist"):
        image_block(tmp_path / "missing.png")
    with pytest.raises(OmniInputError, match="is a directory"):
        image_block(tmp_path)
    with pytest.raises(OmniInputError, match=r"audio/wav, not image: use audio_block"):
        image_block(media.wav())
    with pytest.raises(
        OmniInputError, match="Cannot tell the image format of the image data"
    ):
        image_block(b"plain text, not a picture")
    with pytest.raises(OmniInputError, match="empty"):
        image_block(b"")
    with pytest.raises(OmniInputError, match=r"image_block\(\) cannot take a int"):
        image_block(42)
    with pytest.raises(OmniInputError, match="only http://, https:// and data:"):
        image_block("file:///tmp/a.png")
    with pytest.raises(OmniInputError, match="only http://, https:// and data:"):
        image_block("ftp://x.test/a.png")


def test_image_block_unknown_content_with_a_mime_type() -> None:
    block = image_block(b"\x00\x01not sniffable", mime_type="image/x-exotic")
    assert block["mime_type"] == "image/x-exotic"
    with pytest.raises(OmniInputError, match="audio/wav, not image"):
        image_block(b"\x00\x01not sniffable", mime_type="audio/wav")


def test_image_block_suffix_helps_when_content_does_not(tmp_path: Path) -> None:
    path = media.write(tmp_path / "odd.png", b"\x00" * 32)
    assert image_block(path)["mime_type"] == "image/png"
    unknown = media.write(tmp_path / "odd.unknownsuffix", b"\x00" * 32)
    with pytest.raises(OmniInputError, match="mime_type="):
        image_block(unknown)


# ------------------------------------------------------------ audio_block
@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (media.wav, "audio/wav"),
        (media.mp3, "audio/mpeg"),
        (media.flac, "audio/flac"),
        (lambda: b"\x00\x00\x00\x18ftypmp42" + bytes(8), "audio/mp4"),
    ],
)
def test_audio_block_from_bytes(make: Any, mime: str) -> None:
    block = audio_block(make())
    assert block["mime_type"] == mime
    assert decoded(block) == make()


def test_audio_block_from_path_without_suffix(tmp_path: Path) -> None:
    path = media.write(tmp_path / "recording", media.mp3())
    assert audio_block(path) == {
        "type": "audio",
        "mime_type": "audio/mpeg",
        "extras": media.sealed(path),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "int32"])
def test_audio_block_from_samples(dtype: str) -> None:
    samples = media.tone(0.25, 8000)
    if dtype.startswith("int"):
        samples = (samples * np.iinfo(dtype).max).astype(dtype)
    block = audio_block(samples.astype(dtype), sample_rate=8000)
    assert block["mime_type"] == "audio/wav"
    data, rate = sf.read(io.BytesIO(decoded(block)), dtype="float32")
    assert rate == 8000
    assert len(data) == 2000
    assert np.allclose(data, media.tone(0.25, 8000), atol=1e-3)


def test_audio_block_from_stereo_samples() -> None:
    stereo = np.stack([media.tone(0.1), media.tone(0.1, frequency=880)], axis=1)
    info = sf.info(io.BytesIO(decoded(audio_block(stereo, sample_rate=16000))))
    assert (info.channels, info.frames) == (2, 1600)


@pytest.mark.parametrize(
    ("samples", "rate", "match"),
    [
        (np.zeros(100, dtype=np.float32), None, "needs sample_rate"),
        (np.zeros(100, dtype=np.float32), 0, "needs sample_rate"),
        (np.zeros(100, dtype=np.float32), 16000.0, "needs sample_rate"),
        (np.zeros((2, 1600), dtype=np.float32), 16000, "Transpose"),
        (np.zeros((2, 2, 2), dtype=np.float32), 16000, "1-D"),
        (np.zeros(100, dtype=np.uint8), 16000, "uint8"),
        (np.zeros(0, dtype=np.float32), 16000, "empty"),
    ],
)
def test_audio_block_refuses_wrong_samples(samples: Any, rate: Any, match: str) -> None:
    with pytest.raises(OmniInputError, match=match):
        audio_block(samples, sample_rate=rate)


def test_audio_block_from_omni_audio() -> None:
    pcm = (media.tone(0.1, 24_000) * 20_000).astype("<i2").tobytes()
    block = audio_block(OmniAudio(pcm=pcm))
    data, rate = sf.read(io.BytesIO(decoded(block)), dtype="int16")
    assert rate == 24_000
    assert data.tobytes() == pcm


def test_audio_block_refuses_other_kinds() -> None:
    with pytest.raises(OmniInputError, match=r"image/png, not audio: use image_block"):
        audio_block(media.png())
    with pytest.raises(OmniInputError, match=r"audio_block\(\) cannot take a list"):
        audio_block([1, 2, 3])


# ------------------------------------------------------------ video_block
def test_video_block_from_bytes_path_and_url(tmp_path: Path) -> None:
    clip = media.mp4()
    block = video_block(clip)
    assert block["mime_type"] == "video/mp4"
    assert decoded(block) == clip
    path = media.write(tmp_path / "clip.mov", clip)
    assert video_block(path) == {
        "type": "video",
        "mime_type": "video/mp4",
        "extras": media.sealed(path),
    }
    assert video_block("https://x.test/c.mp4") == {
        "type": "video",
        "url": "https://x.test/c.mp4",
    }


def test_video_block_refuses_images_and_arrays() -> None:
    with pytest.raises(OmniInputError, match="use image_block"):
        video_block(media.jpeg())
    with pytest.raises(OmniInputError, match="cannot take a ndarray"):
        video_block(np.zeros((2, 4, 4, 3), dtype=np.uint8))


# ----------------------------------------------------- video_frames_block
def test_video_frames_block_mixes_sources(tmp_path: Path) -> None:
    path = media.write(tmp_path / "f0.png", media.png(seed=0))
    ready = {"type": "image", "url": "https://x.test/f3.jpg"}
    block = video_frames_block(
        [path, media.jpeg(seed=1), media.rgb_array(4, 4, seed=2), ready]
    )
    frames = block["extras"]["frames"]
    assert block["type"] == "video"
    assert set(block) == {"type", "extras"}
    assert frames[0] == {
        "type": "image",
        "mime_type": "image/png",
        "extras": media.sealed(path),
    }
    assert frames[1]["mime_type"] == "image/jpeg"
    assert frames[2]["mime_type"] == "image/png"
    assert frames[3] is ready


def test_video_frames_block_from_one_4d_array() -> None:
    frames = np.stack([media.rgb_array(4, 4, seed=i) for i in range(3)])
    blocks = video_frames_block(frames)["extras"]["frames"]
    assert len(blocks) == 3
    pictures = [np.asarray(Image.open(io.BytesIO(decoded(b)))) for b in blocks]
    assert all(np.array_equal(p, f) for p, f in zip(pictures, frames, strict=True))


def test_video_frames_block_takes_a_generator() -> None:
    block = video_frames_block(media.png(seed=i) for i in range(2))
    assert len(block["extras"]["frames"]) == 2


def test_video_frames_block_errors() -> None:
    with pytest.raises(OmniInputError, match="at least one frame"):
        video_frames_block([])
    with pytest.raises(
        OmniInputError, match=r"for a single video file use video_block"
    ):
        video_frames_block("clip.mp4")
    with pytest.raises(OmniInputError, match=r"Frame 1: .*audio/wav, not image"):
        video_frames_block([media.png(), media.wav()])


# ----------------------------------------------------- generated test media
def test_generated_media_are_what_they_claim() -> None:
    assert Image.open(io.BytesIO(media.png(30, 11))).size == (30, 11)
    assert Image.open(io.BytesIO(media.jpeg(12, 40))).format == "JPEG"
    for make in (media.wav, media.flac, media.mp3, media.ogg):
        assert sf.info(io.BytesIO(make(seconds=0.5))).duration == pytest.approx(
            0.5, abs=0.06
        )
    big = media.wav_of_size(100_044)
    assert len(big) == 100_044
    assert sf.info(io.BytesIO(big)).frames == 50_000
    with av.open(io.BytesIO(media.mp4(seconds=3.0)), mode="r") as container:
        assert container.duration is not None
        kinds = sorted(stream.type for stream in container.streams)
        assert kinds == ["audio", "video"]
        assert container.duration / 1e6 == pytest.approx(3.0, abs=0.1)


def test_png_encoder_output_is_standard() -> None:
    png = decoded(image_block(np.full((2, 3, 3), 200, dtype=np.uint8)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    idat = png.index(b"IDAT")
    length = int.from_bytes(png[idat - 4 : idat], "big")
    rows = zlib.decompress(png[idat + 4 : idat + 4 + length])
    assert rows == (b"\x00" + bytes([200] * 9)) * 2


def test_decoding_a_head_still_checks_the_whole_text() -> None:
    data = bytes(range(256)) * 20_000  # 5 MB: several steps
    text = base64.b64encode(data).decode()
    assert b64decode_steps(text, keep=100) == data[:100]
    assert b64decode_steps(text) == data
    late = len(text) - 1000
    broken = text[:late] + "$" + text[late + 1 :]
    for keep in (None, 100):
        with pytest.raises(ValueError, match="not valid base64"):
            b64decode_steps(broken, keep=keep)
