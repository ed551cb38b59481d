"""How videos are prepared: streams copied when they fit, pictures decoded sparingly.

The sources are H.264 and AAC in MP4, as phones record them, small and made
once: every picture is one flat colour that encodes its index, so a sampled
or re-encoded picture tells which source picture it shows.
"""

import dataclasses
import functools
import io
import itertools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import av
import numpy as np
import pytest
from PIL import Image

from langchain_qwen_omni import OmniInputError
from langchain_qwen_omni import video as video_module
from langchain_qwen_omni.profiles import get_profile
from langchain_qwen_omni.video import (
    COPY_BYTE_SAFETY,
    SEGMENT_FPS,
    SEGMENT_MARGIN_SECONDS,
    VideoInfo,
    VideoPrepStoppedError,
    cut_segments,
    plan_video,
    probe_video,
    sample_frames,
)

if TYPE_CHECKING:
    from collections.abc import Callable

TURBO = get_profile("qwen-omni-turbo")
FLASH = get_profile("qwen3-omni-flash")
SIDE = 64
MB = 1024 * 1024


def colour(index: int) -> tuple[int, int, int]:
    """The flat colour of source picture `index` (distinct for nearby indices)."""
    return (index * 37) % 200 + 28, (index * 91) % 200 + 28, (index * 53) % 200 + 28


def phone_video(  # noqa: PLR0913  # the properties the tests vary
    path: Path,
    seconds: float,
    *,
    fps: int = 10,
    gop: int = 10,
    audio: bool = True,
    rotation: int = 0,
    side: int = SIDE,
    bitrate: int | None = None,
) -> Path:
    """H.264 pictures (a keyframe every `gop`), AAC sound, in an MP4."""
    rate = 16_000
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = side, side, "yuv420p"
        sound = container.add_stream("aac", rate=rate) if audio else None
        options: dict[str, object] = {
            "preset": "ultrafast",
            "g": str(gop),
            "keyint_min": str(gop),
        }
        if bitrate:  # a noisy picture at a high bitrate: big segments
            video.bit_rate = bitrate
            options["crf"] = "0"
        video.options = options
        if rotation:
            video.set_display_rotation(rotation)
        noise = np.random.default_rng(0)
        for index in range(round(seconds * fps)):
            picture = np.empty((side, side, 3), dtype=np.uint8)
            picture[:] = colour(index)
            if bitrate:
                picture[side // 2 :] = noise.integers(0, 256, (side // 2, side, 3))
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            sound.bit_rate = 32_000
            step = 1024
            tone = np.sin(np.arange(step) / 5).astype(np.float32)[None, :] * 0.1
            for start in range(0, round(seconds * rate), step):
                piece = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                piece.sample_rate, piece.pts = rate, start
                container.mux(sound.encode(piece))
            container.mux(sound.encode())
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phone")


@pytest.fixture(scope="module")
def small(folder: Path) -> Path:
    """100 s at 10 fps, a keyframe a second: small, so its streams fit as they are."""
    return phone_video(folder / "small.mp4", 100.0)


@pytest.fixture(scope="module")
def dense(folder: Path) -> Path:
    """45 s at 30 fps, a keyframe a second, too many bytes to copy for turbo."""
    return phone_video(
        folder / "dense.mp4", 45.0, fps=30, gop=30, side=192, bitrate=6_000_000
    )


def shown(picture: np.ndarray, first: int, last: int) -> int:
    """Which source picture (an index in [first, last]) a decoded one shows."""
    corner = picture.shape[0] // 4
    sample = picture[:corner, :corner].reshape(-1, 3).mean(axis=0)
    distance, index = min(
        (float(np.abs(sample - colour(i)).sum()), i)
        for i in range(max(first, 0), last + 1)
    )
    assert distance < 40, "the picture is none of the source's"
    return index


def packets(path: Path, kind: str) -> list[tuple[float, bytes]]:
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        return [
            (float(p.pts * p.time_base), bytes(p))
            for p in container.demux(stream)
            if p.size and p.pts is not None
        ]


# --- copying the streams when the segments fit ------------------------------------


def test_probe_reads_keyframes_and_bytes_from_the_index(small: Path) -> None:
    info = probe_video(small)
    assert info.video_codec == "h264"
    assert info.audio_copyable
    assert info.audio_bitrate is not None
    assert len(info.keyframes) == 100
    assert info.keyframes[1] - info.keyframes[0] == pytest.approx(1.0, abs=0.01)
    assert len(info.keyframe_bytes) == 100
    assert sum(info.keyframe_bytes) <= info.size_bytes


def test_segments_that_fit_are_cut_at_keyframes_with_the_streams_copied(
    small: Path, tmp_path: Path
) -> None:
    info = probe_video(small)
    plan = plan_video(info, TURBO)
    assert plan.kind == "segments"
    assert plan.encode is not None
    assert plan.encode.copy_video
    assert plan.encode.copy_audio
    assert "streams copied, not re-encoded" in plan.reason
    assert all(p.start in info.keyframes or p.start == 0.0 for p in plan.parts)
    paths = cut_segments(small, plan, tmp_path)
    source = packets(small, "video")
    source_sound = packets(small, "audio")
    for path, part in zip(paths, plan.parts, strict=True):
        probed = probe_video(path)
        assert probed.duration <= TURBO.video_max_seconds
        assert probed.duration == pytest.approx(part.end - part.start, abs=0.1)
        copied = [data for _, data in packets(path, "video")]
        expected = [d for t, d in source if part.start - 0.01 <= t < part.end - 0.01]
        assert copied == expected  # the same packets, byte for byte
        sound = [data for _, data in packets(path, "audio")]
        assert sound == [d for t, d in source_sound if part.start <= t < part.end]
    assert sum(probe_video(p).duration for p in paths) == pytest.approx(100.0, abs=0.2)


def test_a_copied_time_range_starts_at_the_keyframe_before_it(
    small: Path, tmp_path: Path
) -> None:
    plan = plan_video(probe_video(small), TURBO, start=30.5, end=50.2)
    assert [(p.start, p.end) for p in plan.parts] == [
        pytest.approx((30.0, 51.0), abs=0.01)
    ]
    (path,) = cut_segments(small, plan, tmp_path)
    with av.open(str(path)) as container:
        pictures = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert shown(pictures[0], 290, 310) == 300
    assert shown(pictures[-1], 500, 520) == 509
    assert len(pictures) == 210


def test_copying_keeps_the_display_rotation(folder: Path, tmp_path: Path) -> None:
    turned = phone_video(folder / "turned.mp4", 50.0, rotation=90, audio=False)
    plan = plan_video(probe_video(turned), TURBO, strategy="segments")
    assert plan.encode is not None
    assert plan.encode.copy_video
    first, *_ = cut_segments(turned, plan, tmp_path)
    assert probe_video(first).rotation == 90


def info_of(**changes: Any) -> VideoInfo:
    """A 100 s H.264 + AAC video with a keyframe a second, 30 KB between them."""
    base = VideoInfo(
        duration=100.0,
        size_bytes=3 * MB,
        width=640,
        height=360,
        fps=30.0,
        has_audio=True,
        container="mov,mp4,m4a,3gp,3g2,mj2",
        video_codec="h264",
        audio_copyable=True,
        audio_bitrate=64_000,
        keyframes=tuple(float(s) for s in range(100)),
        keyframe_bytes=(30_000,) * 100,
    )
    return dataclasses.replace(base, **changes)


def test_copy_plans_respect_every_limit() -> None:
    plan = plan_video(info_of(), TURBO)
    assert plan.encode is not None
    assert plan.encode.copy_video
    longest = TURBO.video_max_seconds - SEGMENT_MARGIN_SECONDS / 2
    for part in plan.parts:
        assert TURBO.video_min_seconds <= part.end - part.start <= longest
        assert float(part.start).is_integer()  # a keyframe
    assert plan.parts[0].start == 0.0
    assert plan.parts[-1].end == 100.0


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"keyframe_bytes": (600_000,) * 100}, "too many bytes per segment"),
        ({"keyframes": (0.0, 45.0, 90.0), "keyframe_bytes": (1,) * 3}, "far keys"),
        ({"video_codec": "hevc"}, "a codec not copied"),
        ({"audio_copyable": False}, "sound that cannot be copied"),
        ({"keyframes": (), "keyframe_bytes": ()}, "no index (MKV)"),
    ],
)
def test_segments_are_re_encoded_when_copies_would_not_fit(
    changes: dict[str, Any], why: str
) -> None:
    plan = plan_video(info_of(**changes), TURBO)
    assert plan.encode is not None, why
    assert not plan.encode.copy_video, why
    assert plan.encode.fps == SEGMENT_FPS


def copied(group_bytes: int) -> int | None:
    """How many copied segments a 100 s video gets; `None` if it is re-encoded."""
    plan = plan_video(info_of(keyframe_bytes=(group_bytes,) * 100), TURBO)
    assert plan.encode is not None
    return len(plan.parts) if plan.encode.copy_video else None


def test_copies_fill_at_most_their_share_of_the_budget() -> None:
    budget = (TURBO.data_url_max_bytes - len("data:;base64,")) // 4 * 3
    fill = int(budget * COPY_BYTE_SAFETY / 39)  # 39 one-second groups fill it
    assert copied(fill) == 3  # 33 or 34 s each, as many as 40 s allows
    assert copied(int(fill * 1.5)) == 4  # one more, shorter, to fit
    assert copied(int(fill * 1.9)) == 5  # two more
    assert copied(int(fill * 2.1)) is None  # three more would be needed


# --- re-encoding: two pictures a second, the sound copied -------------------------


def test_re_encoded_segments_copy_the_aac_sound(dense: Path, tmp_path: Path) -> None:
    plan = plan_video(probe_video(dense), TURBO)
    assert plan.encode is not None
    assert not plan.encode.copy_video
    assert plan.encode.copy_audio
    assert "AAC sound track copied" in plan.reason
    paths = cut_segments(dense, plan, tmp_path)
    source_sound = packets(dense, "audio")
    for path, part in zip(paths, plan.parts, strict=True):
        assert path.stat().st_size <= plan.encode.max_bytes
        sound = [data for _, data in packets(path, "audio")]
        assert sound == [d for t, d in source_sound if part.start <= t < part.end]
        with av.open(str(path)) as container:
            pictures = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        seconds = part.end - part.start
        assert len(pictures) == round(seconds * SEGMENT_FPS)
        for number, picture in enumerate(pictures):
            # Picture n is shown from n/2 s: it is one from a quarter second
            # before that to half a second after.
            time = part.start + number / SEGMENT_FPS
            index = shown(picture, round((time - 1) * 30), round((time + 1) * 30))
            assert time - 0.25 - 1e-6 <= index / 30 < time + 0.5


def count_decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the video packets `_Picker` hands to the decoder."""
    fed = [0]
    real: Callable[..., Any] = video_module._Picker._decode

    def counting(picker: Any, packets: list[Any]) -> Any:
        fed[0] += len(packets)
        return real(picker, packets)

    monkeypatch.setattr(video_module._Picker, "_decode", counting)
    return fed


def test_only_the_pictures_two_a_second_need_are_decoded(
    dense: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fed = count_decoded(monkeypatch)
    plan = plan_video(probe_video(dense), TURBO, strategy="frames")
    sequences = sample_frames(dense, plan)
    assert sum(len(s) for s in sequences) == 90  # two a second
    # A keyframe a second: each group gives its keyframe and the picture a
    # quarter second later, so about a third of the packets are decoded.
    assert fed[0] <= 0.4 * 45 * 30


def test_sampled_frames_are_spread_two_a_second(dense: Path) -> None:
    plan = plan_video(probe_video(dense), FLASH, strategy="frames", end=20)
    (jpegs,) = sample_frames(dense, plan)
    times = plan.parts[0].frame_times
    slot = times[1] - times[0]
    indices = []
    for time, jpeg in zip(times, jpegs, strict=True):
        with Image.open(io.BytesIO(jpeg)) as picture:
            pixels = np.asarray(picture.convert("RGB"))
        index = shown(pixels, round((time - 1) * 30), round((time + 1) * 30))
        assert time - slot <= index / 30 < time + slot / 2
        indices.append(index)
    gaps = [(b - a) / 30 for a, b in itertools.pairwise(indices)]
    assert min(gaps) >= slot / 2 - 1e-6
    assert max(gaps) <= 1.5 * slot + 1e-6
    assert len(set(indices)) == len(indices)


def test_a_file_object_is_read_like_a_path(small: Path, tmp_path: Path) -> None:
    with small.open("rb") as handle:
        info = probe_video(handle)
        assert info == probe_video(small)
        plan = plan_video(info, TURBO, start=10, end=20, strategy="frames")
        assert sample_frames(handle, plan) == sample_frames(small, plan)
        plan = plan_video(info, TURBO, start=10, end=30)
        (path,) = cut_segments(handle, plan, tmp_path)
    assert probe_video(path).duration == pytest.approx(20.0, abs=0.1)
    with pytest.raises(OmniInputError, match="'the video' cannot be decoded"):
        probe_video(io.BytesIO(b"junk" * 100))


def test_an_in_memory_file_is_read_like_a_path(small: Path) -> None:
    handle = io.BytesIO(small.read_bytes())  # no descriptor to stat
    info = probe_video(handle)
    assert info == probe_video(small)
    plan = plan_video(info, TURBO, start=10, end=20, strategy="frames")
    assert sample_frames(handle, plan) == sample_frames(small, plan)


# --- stopping ------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["segments", "frames"])
def test_a_stop_event_ends_preparation_early(
    dense: Path, tmp_path: Path, strategy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    fed = count_decoded(monkeypatch)
    real = video_module._Picker._decode

    def stop_soon(picker: Any, packets: list[Any]) -> Any:
        if fed[0] > 60:
            stop.set()
        return real(picker, packets)

    monkeypatch.setattr(video_module._Picker, "_decode", stop_soon)
    plan = plan_video(probe_video(dense), TURBO, strategy=strategy)  # type: ignore[arg-type]
    work = (
        functools.partial(cut_segments, dense, plan, tmp_path, stop=stop)
        if strategy == "segments"
        else functools.partial(sample_frames, dense, plan, stop=stop)
    )
    with (
        mock.patch.object(video_module._SegmentWriter, "abort", autospec=True) as abort,
        pytest.raises(VideoPrepStoppedError, match="stopped"),
    ):
        work()
    assert fed[0] < 200
    assert abort.called == (strategy == "segments")
