"""Planning long videos (pure), then cutting and sampling them with PyAV."""

import dataclasses
import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from langchain_qwen_omni import OmniInputError
from langchain_qwen_omni.profiles import DATA_URL_MAX_BYTES, get_profile
from langchain_qwen_omni.tools import VideoSegment, _merge_groups, _merge_lines
from langchain_qwen_omni.video import (
    SEGMENT_FPS,
    SEGMENT_MARGIN_SECONDS,
    VideoInfo,
    VideoPlan,
    choose_encoding,
    cut_segments,
    data_url_bytes,
    plan_video,
    probe_video,
    sample_frames,
)
from tests import media

TURBO = get_profile("qwen-omni-turbo")
FLASH = get_profile("qwen3-omni-flash")
MB = 1024 * 1024


def info(seconds: float = 100.0, size: int = MB, *, audio: bool = True) -> VideoInfo:
    return VideoInfo(
        duration=seconds,
        size_bytes=size,
        width=1280,
        height=720,
        fps=30.0,
        has_audio=audio,
        container="mov,mp4,m4a,3gp,3g2,mj2",
    )


def assert_covers(plan: VideoPlan, start: float, end: float) -> None:
    assert plan.parts[0].start == start
    assert plan.parts[-1].end == end
    for before, after in zip(plan.parts, plan.parts[1:], strict=False):
        assert before.end == after.start


# --- planning ------------------------------------------------------------------


def test_small_short_video_goes_whole() -> None:
    plan = plan_video(info(12.0), TURBO)
    assert plan.kind == "whole"
    assert [(p.start, p.end) for p in plan.parts] == [(0.0, 12.0)]
    assert plan.encode is None
    assert "fits as is" in plan.reason
    assert "12.0 s <= 40 s" in plan.reason


def test_100_seconds_on_turbo_is_cut_into_segments_that_fit() -> None:
    plan = plan_video(info(100.0), TURBO)
    assert plan.kind == "segments"
    assert len(plan.parts) >= 3
    assert_covers(plan, 0.0, 100.0)
    for part in plan.parts:
        assert part.end - part.start <= TURBO.video_max_seconds - SEGMENT_MARGIN_SECONDS
        assert part.end - part.start >= TURBO.video_min_seconds
    assert plan.encode is not None
    assert data_url_bytes(plan.encode.max_bytes) <= DATA_URL_MAX_BYTES
    assert plan.encode.max_bytes <= TURBO.video_max_bytes
    assert plan.encode.audio_bitrate is not None
    assert "100.0 s, over the model's 40 s" in plan.reason
    assert "keeping the sound track" in plan.reason


def test_same_video_fits_flash_whole() -> None:
    assert plan_video(info(100.0), FLASH).kind == "whole"


def test_short_file_over_the_data_url_cap_is_reencoded_in_one_segment() -> None:
    plan = plan_video(info(30.0, size=20 * MB), TURBO)
    assert plan.kind == "segments"
    assert len(plan.parts) == 1
    assert "over the API's 10.0 MB per data URL" in plan.reason


def test_file_over_the_model_byte_limit_is_reencoded() -> None:
    plan = plan_video(info(30.0, size=200 * MB), TURBO)
    assert plan.kind == "segments"
    assert "over the model's 150.0 MB per video" in plan.reason


def test_silent_video_is_sampled_into_frames() -> None:
    plan = plan_video(info(100.0, audio=False), TURBO)
    assert plan.kind == "frames"
    assert "no sound" in plan.reason
    assert_covers(plan, 0.0, 100.0)


@pytest.mark.parametrize("profile", [TURBO, FLASH], ids=["turbo", "flash"])
@pytest.mark.parametrize("seconds", [1.0, 3.0, 100.0, 600.0])
def test_frame_counts_stay_in_the_profile_range(profile, seconds: float) -> None:
    plan = plan_video(info(seconds), profile, strategy="frames")
    assert plan.kind == "frames"
    assert_covers(plan, 0.0, seconds)
    for part in plan.parts:
        assert profile.frames_min <= len(part.frame_times) <= profile.frames_max
        assert list(part.frame_times) == sorted(part.frame_times)
        assert all(part.start <= t < part.end for t in part.frame_times)
    assert plan.frame_size is not None
    assert max(plan.frame_size) <= 448


def test_frames_forced_on_a_video_that_fits() -> None:
    plan = plan_video(info(12.0), TURBO, strategy="frames")
    assert plan.kind == "frames"
    assert plan.reason.startswith("frame sampling was asked for")
    assert len(plan.parts[0].frame_times) == 24  # 2 per second


def test_segments_forced_on_a_video_that_fits_send_it_whole() -> None:
    assert plan_video(info(12.0), TURBO, strategy="segments").kind == "whole"


def test_time_range_is_cut_even_when_short() -> None:
    plan = plan_video(info(100.0), FLASH, start=30, end=75)
    assert plan.kind == "segments"
    assert_covers(plan, 30.0, 75.0)
    assert "only 00:30-01:15 is wanted" in plan.reason


def test_end_past_the_video_is_clamped() -> None:
    plan = plan_video(info(100.0), TURBO, start=90, end=500)
    assert_covers(plan, 90.0, 100.0)


@pytest.mark.parametrize(
    ("start", "end"), [(100.0, None), (50.0, 50.0), (60.0, 10.0), (-1.0, None)]
)
def test_empty_ranges_are_refused(start, end) -> None:
    with pytest.raises(OmniInputError, match=r"selects nothing of a 100\.0 s video"):
        plan_video(info(100.0), TURBO, start=start, end=end)


def test_too_short_for_a_video_file_falls_back_to_frames() -> None:
    plan = plan_video(info(1.0), TURBO)
    assert plan.kind == "frames"
    assert len(plan.parts[0].frame_times) == TURBO.frames_min


def test_segments_forced_on_a_too_short_range_say_why() -> None:
    with pytest.raises(OmniInputError, match="at least 2 s"):
        plan_video(info(100.0), TURBO, strategy="segments", start=10, end=11)


def test_model_without_video_input_is_refused() -> None:
    captioner = get_profile("qwen3-omni-30b-a3b-captioner")
    with pytest.raises(OmniInputError, match="takes no video"):
        plan_video(info(10.0), captioner)


def test_encoding_shrinks_the_picture_when_bits_are_scarce() -> None:
    roomy = choose_encoding(info(), 30.0, 7 * MB)
    assert (roomy.width, roomy.height) == (640, 360)
    assert roomy.fps == SEGMENT_FPS == 2.0  # what the model samples
    scarce = choose_encoding(info(), 150.0, 1 * MB)
    assert scarce.width < roomy.width
    assert (
        scarce.width * 9 == scarce.height * 16
        or abs(scarce.width / scarce.height - 16 / 9) < 0.05
    )
    assert scarce.width % 2 == scarce.height % 2 == 0
    total_bits = (scarce.video_bitrate + (scarce.audio_bitrate or 0)) * 150.0
    assert total_bits / 8 <= 1 * MB


def test_encoding_never_enlarges_and_skips_missing_sound() -> None:
    small = dataclasses.replace(info(audio=False), width=160, height=120, fps=1.0)
    settings = choose_encoding(small, 30.0, 7 * MB)
    assert (settings.width, settings.height, settings.fps) == (160, 120, 1.0)
    assert settings.audio_bitrate is None


def test_data_url_length_counts_prefix_and_base64() -> None:
    assert data_url_bytes(0) == len("data:;base64,")
    assert data_url_bytes(3) == len("data:;base64,") + 4
    assert data_url_bytes(4) == len("data:;base64,") + 8


@pytest.mark.parametrize("budget", [1, 100, 250, 1000, 10_000])
def test_merge_groups_are_consecutive_and_shrink_the_count(budget: int) -> None:
    items = [VideoSegment(i * 10.0, i * 10.0 + 10, "x" * 80) for i in range(9)]
    groups = _merge_groups(items, budget)
    assert [item for group in groups for item in group] == items
    assert all(len(group) >= 2 for group in groups[:-1])
    assert len(groups) <= (len(items) + 1) // 2
    # Past its first two items, a group grows only while its prompt fits.
    assert all(len(_merge_lines(g)) <= budget for g in groups if len(g) > 2)
    if budget >= len(_merge_lines(items)):
        assert groups == [items]


# --- PyAV: probing, cutting and sampling real files ---------------------------


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100 s, 160x120, 10 fps video with an AAC track, made once."""
    folder = tmp_path_factory.mktemp("videos")
    data = media.mp4(seconds=100.0, width=160, height=120, fps=10)
    return media.write(folder / "long.mp4", data)


def test_probe_reads_the_header(long_video: Path) -> None:
    probed = probe_video(long_video)
    assert probed.duration == pytest.approx(100.0, abs=0.2)
    assert (probed.width, probed.height, probed.fps) == (160, 120, 10.0)
    assert probed.has_audio is True
    assert probed.size_bytes == long_video.stat().st_size


def test_probe_refuses_what_is_not_a_video(tmp_path: Path) -> None:
    junk = media.write(tmp_path / "junk.mp4", b"not a video at all" * 100)
    with pytest.raises(OmniInputError, match="cannot be decoded as a video"):
        probe_video(junk)
    sound = media.write(tmp_path / "sound.wav", media.wav())
    with pytest.raises(OmniInputError, match="no video stream"):
        probe_video(sound)


def test_cut_segments_fit_every_limit_and_keep_the_sound(
    long_video: Path, tmp_path: Path
) -> None:
    plan = plan_video(probe_video(long_video), TURBO)
    paths = cut_segments(long_video, plan, tmp_path)
    assert [p.name for p in paths] == [
        f"segment-{i:03d}.mp4" for i in range(len(plan.parts))
    ]
    total = 0.0
    for path, part in zip(paths, plan.parts, strict=True):
        probed = probe_video(path)
        assert probed.duration <= TURBO.video_max_seconds
        assert probed.duration == pytest.approx(part.end - part.start, abs=0.25)
        assert probed.has_audio
        assert data_url_bytes(path.stat().st_size) <= DATA_URL_MAX_BYTES
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames == pytest.approx((part.end - part.start) * SEGMENT_FPS, abs=1)
        total += probed.duration
    assert total == pytest.approx(100.0, abs=0.5)


def test_silent_video_forced_into_segments(tmp_path: Path) -> None:
    data = media.mp4(seconds=50.0, width=160, height=120, fps=10, audio=False)
    video = media.write(tmp_path / "silent.mp4", data)
    plan = plan_video(probe_video(video), TURBO, strategy="segments")
    assert plan.encode is not None
    assert plan.encode.audio_bitrate is None
    assert "the video has no sound" in plan.reason
    paths = cut_segments(video, plan, tmp_path / "out")
    probed = [probe_video(p) for p in paths]
    assert len(probed) == 2
    assert not any(p.has_audio for p in probed)
    assert sum(p.duration for p in probed) == pytest.approx(50.0, abs=0.3)


def mkv_with_opus(path: Path, seconds: float) -> Path:
    """An MKV whose streams count time in milliseconds, not in samples."""
    rate, fps = 48_000, 10
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        sound = container.add_stream("libopus", rate=rate, layout="stereo")
        for index in range(round(seconds * fps)):
            picture = media.rgb_array(160, 120, seed=index)
            container.mux(video.encode(av.VideoFrame.from_ndarray(picture)))
        container.mux(video.encode())
        step = sound.codec_context.frame_size
        for start in range(0, round(seconds * rate), step):
            frame = av.AudioFrame(format="s16", layout="stereo", samples=step)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts = rate, start
            container.mux(sound.encode(frame))
        container.mux(sound.encode())
    return path


def test_cut_keeps_time_when_the_source_counts_in_milliseconds(tmp_path: Path) -> None:
    video = mkv_with_opus(tmp_path / "talk.mkv", 50.0)
    plan = plan_video(probe_video(video), TURBO)
    paths = cut_segments(video, plan, tmp_path / "out")
    for path, part in zip(paths, plan.parts, strict=True):
        probed = probe_video(path)
        assert probed.has_audio
        assert probed.duration == pytest.approx(part.end - part.start, abs=0.25)
        with av.open(str(path)) as container:
            sound = container.streams.audio[0]
            assert sound.duration is not None
            assert sound.time_base is not None
            assert float(sound.duration * sound.time_base) <= 26.0


def portrait_phone_video(path: Path, seconds: float = 45.0) -> Path:
    """Stored 320x180 with a bright left half, shown turned 90 degrees (portrait)."""
    picture = np.zeros((180, 320, 3), dtype=np.uint8)
    picture[:, :160] = 255
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=5)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        video.set_display_rotation(90)
        for index in range(round(seconds * 5)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
    return path


def test_turned_phone_videos_stay_upright(tmp_path: Path) -> None:
    video = portrait_phone_video(tmp_path / "phone.mp4")
    probed = probe_video(video)
    assert probed.rotation == 90
    assert (probed.width, probed.height) == (320, 180)
    assert probe_video(media.write(tmp_path / "flat.mp4", media.mp4())).rotation == 0
    # Frames are turned upright: portrait, the bright half at the bottom
    # (the left side turned counter-clockwise).
    plan = plan_video(probed, TURBO, strategy="frames")
    assert plan.frame_size == (180, 320)
    jpeg = sample_frames(video, plan)[0][0]
    with Image.open(io.BytesIO(jpeg)) as picture:
        assert picture.size == (180, 320)
        gray = np.asarray(picture.convert("L"))
    assert gray[240:].mean() > 200
    assert gray[:80].mean() < 50
    # Segments keep the stored picture and the display rotation.
    plan = plan_video(probed, TURBO, strategy="segments")
    (first, *_) = cut_segments(video, plan, tmp_path / "out")
    assert probe_video(first).rotation == 90


def test_cut_a_time_range(long_video: Path, tmp_path: Path) -> None:
    plan = plan_video(probe_video(long_video), TURBO, start=30, end=75)
    paths = cut_segments(long_video, plan, tmp_path)
    durations = [probe_video(p).duration for p in paths]
    assert len(paths) == 2
    assert sum(durations) == pytest.approx(45.0, abs=0.3)


def test_sample_frames_gives_small_jpegs(long_video: Path) -> None:
    plan = plan_video(probe_video(long_video), TURBO, strategy="frames")
    frames = sample_frames(long_video, plan)
    assert [len(f) for f in frames] == [len(p.frame_times) for p in plan.parts]
    for jpeg in (frames[0][0], frames[-1][-1]):
        assert jpeg[:2] == b"\xff\xd8"
        with Image.open(io.BytesIO(jpeg)) as picture:
            assert picture.format == "JPEG"
            assert picture.size == plan.frame_size


def test_sampled_frames_show_the_right_moments(tmp_path: Path) -> None:
    # media.mp4 colours each frame by its index, so a frame's picture tells
    # which source frame it came from. Each sampled frame is one shown from
    # half a slot before its slot to the slot's end (the cheapest to decode).
    video = media.write(tmp_path / "v.mp4", media.mp4(seconds=8.0, fps=4, audio=False))
    plan = plan_video(probe_video(video), FLASH, strategy="frames")
    (jpegs,) = sample_frames(video, plan)
    with av.open(str(video)) as container:
        source = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    times = plan.parts[0].frame_times
    slot = times[1] - times[0]
    for time, jpeg in zip(times, jpegs, strict=True):
        with Image.open(io.BytesIO(jpeg)) as picture:
            sampled = picture.convert("RGB").getpixel((0, 0))
        assert isinstance(sampled, tuple)
        matches = [
            index
            for index, frame in enumerate(source)
            if all(
                abs(int(a) - int(b)) < 40
                for a, b in zip(sampled, frame[0, 0], strict=True)
            )
        ]
        assert any(time - slot <= index / 4 < time + slot / 2 for index in matches)


def test_plans_of_the_wrong_kind_are_refused(long_video: Path, tmp_path: Path) -> None:
    whole = plan_video(info(12.0), TURBO)
    with pytest.raises(ValueError, match="needs a segments plan"):
        cut_segments(long_video, whole, tmp_path)
    with pytest.raises(ValueError, match="needs a frames plan"):
        sample_frames(long_video, whole)
