"""Long and large videos -> pieces that Qwen-Omni accepts (PyAV).

A turbo model takes at most 40 s and 150 MB per video file, flash 150 s and
256 MB, every data URL at most 10,485,760 bytes (base64 adds a third), and an
image sequence 4..80 (turbo) or 2..128 (flash) frames. This module turns any
local video into parts within those limits, in three steps:

1. `probe_video` reads the container's header: duration, size, streams.
2. `plan_video` (pure, no I/O) decides how to send the wanted time range:
   whole, cut into re-encoded segments (video and sound), or sampled into
   JPEG frame sequences, and says why.
3. `cut_segments` / `sample_frames` carry the plan out in one streaming pass
   over the file: frames are decoded, scaled and encoded one at a time, so
   memory stays flat however long the video is.

PyAV (the `video` extra, which bundles FFmpeg) is imported lazily, inside
the functions that decode or encode.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langchain_qwen_omni.profiles import OmniModelProfile

__all__ = [
    "DATA_URL_PREFIX",
    "EncodeSettings",
    "PlanKind",
    "Strategy",
    "VideoInfo",
    "VideoPart",
    "VideoPlan",
    "cut_segments",
    "data_url_bytes",
    "plan_video",
    "probe_video",
    "sample_frames",
]

Strategy = Literal["auto", "segments", "frames"]
"""How to send a video that does not fit: `auto` picks per video and model."""
PlanKind = Literal["whole", "segments", "frames"]
"""What a plan does: send the file unchanged, cut it, or sample frames."""

DATA_URL_PREFIX = "data:;base64,"
"""Prefix of a video file's data URL, as in Model Studio's own samples."""
SEGMENT_MARGIN_SECONDS = 0.5
"""Segments stay this far under the model's duration limit (frame rounding)."""
BYTE_SAFETY = 0.8
"""Share of the byte budget the encoder aims at; rate control overshoots a little."""
MAX_SEGMENT_FPS = 10.0
"""Frame-rate cap of re-encoded segments; the model samples about 2 fps."""
MAX_SEGMENT_SIDE = 640
"""Longest side of re-encoded segments, in pixels (never upscaled)."""
MIN_SEGMENT_SIDE = 120
"""Shortest side below which segments are not shrunk further to save bits."""
MIN_BITS_PER_PIXEL = 0.05
"""Bits per pixel per frame under which a picture is shrunk before encoding."""
SEGMENT_CRF = 26
"""x264 constant-quality level of segments (lower is better and larger)."""
AUDIO_BITRATE = 64_000
"""AAC bitrate of a segment's sound track (speech and music stay clear)."""
FRAMES_PER_SECOND = 2.0
"""Sampling rate of image sequences, as Omni's token calculators assume."""
MAX_FRAME_SIDE = 448
"""Longest side of sampled frames, in pixels (never upscaled)."""
JPEG_QUALITY = 5
"""MJPEG quantizer scale (2 best .. 31 worst) of sampled frames."""
_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_MIN_VIDEO_BITRATE = 32_000
_FF_QP2LAMBDA = 118  # FFmpeg's quantizer-to-lambda factor


# --- what a video is --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What `probe_video` learns from a file's header, without decoding it."""

    duration: float
    """Seconds, from the container (or the video stream when it has none)."""
    size_bytes: int
    width: int
    height: int
    fps: float
    """Average frame rate; 0.0 when the container does not say."""
    has_audio: bool
    container: str
    """FFmpeg's name of the container format, e.g. `mov,mp4,m4a,3gp,3g2,mj2`."""
    rotation: int = 0
    """Degrees (0, 90, 180 or 270) the stored picture is turned counter-clockwise
    for display, as phones record portrait videos; `width` and `height` are
    the stored picture's."""


def probe_video(path: str | Path) -> VideoInfo:
    """Read a video's duration, size and streams from its header.

    Raises:
        OmniInputError: If the file is not a video PyAV can decode.
    """
    av = _import_av()
    target = Path(path)
    try:
        with av.open(str(target)) as container:
            if not container.streams.video:
                msg = f"{target.name!r} has no video stream (is it an audio file?)."
                raise OmniInputError(msg)
            stream = container.streams.video[0]
            return VideoInfo(
                duration=_duration_of(container, stream),
                size_bytes=target.stat().st_size,
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
                fps=float(stream.average_rate or 0.0),
                has_audio=bool(container.streams.audio),
                container=str(container.format.name),
                rotation=_rotation_of(container, stream),
            )
    except av.FFmpegError as exc:
        msg = (
            f"{target.name!r} cannot be decoded as a video ({exc}). "
            "Pass an MP4, MOV, MKV, AVI, FLV or WMV file."
        )
        raise OmniInputError(msg) from exc


def _duration_of(container: Any, stream: Any) -> float:
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    msg = "The video's duration is unknown: its container stores none."
    raise OmniInputError(msg)


def _rotation_of(container: Any, stream: Any) -> int:
    """The display rotation, read from the first frame's display matrix."""
    frame = next(container.decode(stream), None)
    if frame is None:
        return 0
    return round(float(frame.rotation) / 90) * 90 % 360


def data_url_bytes(file_bytes: int) -> int:
    """Length of the `data:;base64,...` URL of a file of `file_bytes` bytes."""
    return len(DATA_URL_PREFIX) + 4 * math.ceil(file_bytes / 3)


def _max_file_for_data_url(data_url_max: int) -> int:
    """Largest file whose data URL stays within `data_url_max` bytes."""
    return (data_url_max - len(DATA_URL_PREFIX)) // 4 * 3


# --- the plan (pure) --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EncodeSettings:
    """How segments are re-encoded so each fits the byte and data-URL caps."""

    width: int
    height: int
    fps: float
    video_bitrate: int
    """Bits per second of H.264 video."""
    audio_bitrate: int | None
    """Bits per second of AAC sound; `None` when the source has no sound."""
    max_bytes: int
    """The file size every segment must stay under."""
    rotation: int = 0
    """The source's display rotation, kept as the segments' own."""


@dataclasses.dataclass(frozen=True)
class VideoPart:
    """One request's share of the video: a time range, and frame times if sampled."""

    start: float
    end: float
    frame_times: tuple[float, ...] = ()
    """Seconds at which frames are taken (frames plans only)."""


@dataclasses.dataclass(frozen=True)
class VideoPlan:
    """How a time range of a video goes to the model, and why."""

    kind: PlanKind
    reason: str
    """One sentence with the measured values and limits behind the choice."""
    parts: tuple[VideoPart, ...]
    encode: EncodeSettings | None = None
    """Re-encoding of segments plans; `None` otherwise."""
    frame_size: tuple[int, int] | None = None
    """Width and height of sampled frames, as displayed (frames plans only)."""
    rotation: int = 0
    """The source's display rotation, applied to sampled frames."""


def plan_video(
    info: VideoInfo,
    profile: OmniModelProfile,
    *,
    strategy: Strategy = "auto",
    start: float | None = None,
    end: float | None = None,
) -> VideoPlan:
    """Decide how to send `[start, end)` of a video within the model's limits.

    The file goes unchanged when no cut is asked for and it fits the model's
    duration and size limits and the data-URL cap. Otherwise `auto` cuts it
    into re-encoded segments when it has sound (frame sequences would lose
    it) and samples frames when it is silent (no re-encoding needed).

    Args:
        info: The video, from `probe_video`.
        profile: The model's limits (`llm.omni_profile`).
        strategy: `"auto"`, or force `"segments"` or `"frames"`.
        start: First second to describe; the beginning when `None`.
        end: Last second to describe; the end when `None`.

    Raises:
        OmniInputError: If the range is empty or outside the video, or the
            model takes no video.
    """
    if not profile.video_input:
        msg = f"The model family {profile.family} takes no video input."
        raise OmniInputError(msg)
    first, last = _checked_range(info.duration, start, end)
    seconds = last - first
    whole = first == 0.0 and last == info.duration
    if whole and strategy != "frames":
        fits, why = _fits_whole(info, profile)
        if fits:
            return VideoPlan("whole", why, (VideoPart(first, last),))
    else:
        why = (
            "frame sampling was asked for"
            if strategy == "frames"
            else f"only {_clock(first)}-{_clock(last)} is wanted, which needs a cut"
        )
    kind = _pick_kind(strategy, seconds=seconds, info=info, profile=profile)
    if kind == "frames":
        return _frames_plan(info, profile, first, last, why)
    return _segments_plan(info, profile, first, last, why)


def _checked_range(
    duration: float, start: float | None, end: float | None
) -> tuple[float, float]:
    first = 0.0 if start is None else float(start)
    last = duration if end is None else min(float(end), duration)
    if first < 0 or first >= duration or last <= first:
        msg = (
            f"The time range start={start}, end={end} selects nothing of a "
            f"{duration:.1f} s video. Use 0 <= start < end <= {duration:.1f}."
        )
        raise OmniInputError(msg)
    return first, last


def _fits_whole(info: VideoInfo, profile: OmniModelProfile) -> tuple[bool, str]:
    url_bytes = data_url_bytes(info.size_bytes)
    if info.duration > profile.video_max_seconds:
        return False, (
            f"the video lasts {info.duration:.1f} s, over the model's "
            f"{profile.video_max_seconds:g} s per video"
        )
    if info.size_bytes > profile.video_max_bytes:
        return False, (
            f"the file has {_mb(info.size_bytes)}, over the model's "
            f"{_mb(profile.video_max_bytes)} per video"
        )
    if url_bytes > profile.data_url_max_bytes:
        return False, (
            f"its data URL would have {_mb(url_bytes)}, over the API's "
            f"{_mb(profile.data_url_max_bytes)} per data URL"
        )
    if info.duration < profile.video_min_seconds:
        return False, (
            f"the video lasts {info.duration:.1f} s, under the model's "
            f"{profile.video_min_seconds:g} s minimum per video file"
        )
    return True, (
        f"the video fits as is: {info.duration:.1f} s <= "
        f"{profile.video_max_seconds:g} s and a {_mb(url_bytes)} data URL <= "
        f"{_mb(profile.data_url_max_bytes)}"
    )


def _pick_kind(
    strategy: Strategy,
    *,
    seconds: float,
    info: VideoInfo,
    profile: OmniModelProfile,
) -> Literal["segments", "frames"]:
    if strategy != "auto":
        return strategy
    if seconds < profile.video_min_seconds or not info.has_audio:
        return "frames"
    return "segments"


def _segments_plan(
    info: VideoInfo,
    profile: OmniModelProfile,
    first: float,
    last: float,
    why: str,
) -> VideoPlan:
    seconds = last - first
    if seconds < profile.video_min_seconds:
        msg = (
            f"Segments must last at least {profile.video_min_seconds:g} s, and "
            f"only {seconds:.1f} s is wanted. Use strategy='frames' or a longer range."
        )
        raise OmniInputError(msg)
    longest = max(profile.video_max_seconds - SEGMENT_MARGIN_SECONDS, 1.0)
    count = math.ceil(seconds / longest)
    parts = _even_parts(first, last, count)
    max_bytes = int(
        min(
            profile.video_max_bytes,
            _max_file_for_data_url(profile.data_url_max_bytes),
        )
    )
    encode = choose_encoding(info, seconds / count, max_bytes)
    reason = (
        f"{why}; cut into {count} re-encoded segment{'s' if count > 1 else ''} of "
        f"{seconds / count:.1f} s (limit {profile.video_max_seconds:g} s), "
        f"{encode.width}x{encode.height} at {encode.fps:g} fps, "
        f"under {_mb(max_bytes)} each so every data URL fits, "
        + ("keeping the sound track" if info.has_audio else "the video has no sound")
    )
    return VideoPlan("segments", reason, parts, encode=encode)


def _frames_plan(
    info: VideoInfo,
    profile: OmniModelProfile,
    first: float,
    last: float,
    why: str,
) -> VideoPlan:
    seconds = last - first
    window = profile.frames_max / FRAMES_PER_SECOND
    count = math.ceil(seconds / window)
    parts = tuple(
        VideoPart(
            part.start,
            part.end,
            _frame_times(part.start, part.end, profile.frames_min, profile.frames_max),
        )
        for part in _even_parts(first, last, count)
    )
    frames = sum(len(part.frame_times) for part in parts)
    shown = (
        (info.height, info.width) if info.rotation % 180 else (info.width, info.height)
    )
    size = _scaled(*shown, MAX_FRAME_SIDE)
    sound = " (the video has no sound)" if not info.has_audio else " (without sound)"
    reason = (
        f"{why}; sampled {frames} JPEG frames{sound} at up to "
        f"{FRAMES_PER_SECOND:g} per second, {size[0]}x{size[1]}, in {count} "
        f"sequence{'s' if count > 1 else ''} of {profile.frames_min}.."
        f"{profile.frames_max} frames"
    )
    return VideoPlan("frames", reason, parts, frame_size=size, rotation=info.rotation)


def _even_parts(first: float, last: float, count: int) -> tuple[VideoPart, ...]:
    """Split `[first, last)` into `count` equal parts, ends exactly at `last`."""
    bounds = [first + (last - first) * i / count for i in range(count)] + [last]
    return tuple(VideoPart(a, b) for a, b in itertools.pairwise(bounds))


def _frame_times(
    start: float, end: float, frames_min: int, frames_max: int
) -> tuple[float, ...]:
    """Times at the centres of equal slots, as many as the rate and range allow."""
    wanted = round((end - start) * FRAMES_PER_SECOND)
    count = min(max(wanted, frames_min), frames_max)
    slot = (end - start) / count
    return tuple(start + slot * (i + 0.5) for i in range(count))


def choose_encoding(info: VideoInfo, seconds: float, max_bytes: int) -> EncodeSettings:
    """Pick bitrates, frame rate and picture size for segments of `seconds`.

    The byte budget (`BYTE_SAFETY` of `max_bytes`) is spent on the sound
    first, then on the picture, which shrinks until each pixel gets enough
    bits to stay legible.
    """
    total = max_bytes * BYTE_SAFETY * 8 / seconds
    audio = min(AUDIO_BITRATE, int(total / 4)) if info.has_audio else None
    video = max(int(total * 0.97) - (audio or 0), _MIN_VIDEO_BITRATE)
    fps = min(info.fps or MAX_SEGMENT_FPS, MAX_SEGMENT_FPS)
    side = MAX_SEGMENT_SIDE
    width, height = _scaled(info.width, info.height, side)
    while (
        width * height * fps * MIN_BITS_PER_PIXEL > video
        and min(width, height) > MIN_SEGMENT_SIDE
    ):
        side = int(side * 0.8)
        width, height = _scaled(info.width, info.height, side)
    return EncodeSettings(
        width, height, fps, video, audio, max_bytes, rotation=info.rotation
    )


def _scaled(width: int, height: int, longest: int) -> tuple[int, int]:
    """Shrink to fit `longest` (never enlarge), keeping the aspect, even sides."""
    scale = min(1.0, longest / max(width, height, 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


# --- carrying the plan out (PyAV, streaming) --------------------------------


def _import_av() -> Any:
    try:
        import av  # noqa: PLC0415  # heavy and optional: the `video` extra
    except ImportError as exc:  # pragma: no cover - depends on the install
        msg = (
            "Cutting and sampling videos needs PyAV: "
            'pip install "langchain-qwen-omni[video]".'
        )
        raise ImportError(msg) from exc
    return av


class _Grid:
    """Which decoded frame is on screen at each of a sorted list of times.

    The frame shown at time `t` is the last one that started at or before
    `t`, so each target time takes the frame pending when a later one arrives.
    This both drops frames (fewer times than frames) and repeats them
    (more times than frames, or variable frame rates).
    """

    def __init__(self, times: Sequence[float]) -> None:
        self._times = times
        self._next = 0
        self._pending: Any = None

    @property
    def done(self) -> bool:
        """True once every target time has its frame."""
        return self._next >= len(self._times)

    def push(self, time: float, frame: Any) -> list[tuple[int, Any]]:
        """Add a decoded frame; return the `(time index, frame)` pairs it settles."""
        settled = []
        while not self.done and self._times[self._next] < time:
            if self._pending is not None:
                settled.append((self._next, self._pending))
            self._next += 1
        self._pending = frame
        return settled

    def finish(self) -> list[tuple[int, Any]]:
        """At the end of the stream, the last frame stays on screen."""
        settled = []
        while not self.done:
            if self._pending is not None:
                settled.append((self._next, self._pending))
            self._next += 1
        return settled


def _decoded(container: Any, streams: list[Any], start: float) -> Iterator[Any]:
    """Decode the streams' frames in file order, from the keyframe before `start`."""
    if start > 0:
        container.seek(int(start * 1_000_000), backward=True, any_frame=False)
    for packet in container.demux(*streams):
        yield from packet.decode()


def _open_source(av: Any, path: Path) -> Any:
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        msg = f"{path.name!r} cannot be decoded as a video ({exc})."
        raise OmniInputError(msg) from exc


def sample_frames(path: str | Path, plan: VideoPlan) -> list[list[bytes]]:
    """Decode once and return each part's frames as JPEG bytes.

    Frames are scaled to `plan.frame_size` and JPEG-encoded as they are
    decoded; only the small JPEGs are kept.

    Raises:
        OmniInputError: If the file cannot be decoded.
    """
    if plan.kind != "frames" or plan.frame_size is None:
        msg = f"sample_frames needs a frames plan, got a {plan.kind!r} plan."
        raise ValueError(msg)
    av = _import_av()
    times = [t for part in plan.parts for t in part.frame_times]
    owners = [i for i, part in enumerate(plan.parts) for _ in part.frame_times]
    result: list[list[bytes]] = [[] for _ in plan.parts]
    grid = _Grid(times)
    encoder = _jpeg_encoder(av, *plan.frame_size)
    rotation = plan.rotation
    source = _open_source(av, Path(path))
    with source:
        stream = source.streams.video[0]
        stream.thread_type = "AUTO"
        settled: list[tuple[int, Any]] = []
        try:
            for frame in _decoded(source, [stream], plan.parts[0].start):
                if frame.time is None:
                    continue
                settled = grid.push(frame.time, frame)
                for index, shown in settled:
                    jpeg = _jpeg(av, encoder, shown, index, rotation)
                    result[owners[index]].append(jpeg)
                if grid.done:
                    break
        except av.FFmpegError as exc:
            msg = f"Decoding {Path(path).name!r} failed ({exc})."
            raise OmniInputError(msg) from exc
        for index, shown in grid.finish():
            result[owners[index]].append(_jpeg(av, encoder, shown, index, rotation))
    return result


def _jpeg_encoder(av: Any, width: int, height: int) -> Any:
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 1)
    encoder.qscale = True  # a fixed quantizer, given as a lambda below
    encoder.global_quality = JPEG_QUALITY * _FF_QP2LAMBDA
    return encoder


def _jpeg(av: Any, encoder: Any, frame: Any, index: int, rotation: int) -> bytes:
    if rotation:
        frame = _turned(av, frame, encoder.width, encoder.height, rotation)
    picture = frame.reformat(
        width=encoder.width, height=encoder.height, format="yuvj420p"
    )
    picture.pts = index
    picture.time_base = encoder.time_base
    return b"".join(bytes(packet) for packet in encoder.encode(picture))


def _turned(av: Any, frame: Any, width: int, height: int, rotation: int) -> Any:
    """Scale a frame, then turn it upright: `width` x `height` as displayed.

    Scaling first keeps the turn cheap (numpy on the small picture).
    """
    import numpy as np  # noqa: PLC0415  # only for turned videos

    across = rotation % 180 != 0
    stored_width, stored_height = (height, width) if across else (width, height)
    rgb = frame.reformat(
        width=stored_width, height=stored_height, format="rgb24"
    ).to_ndarray()
    upright = np.ascontiguousarray(np.rot90(rgb, rotation // 90))
    return av.VideoFrame.from_ndarray(upright, format="rgb24")


class _SegmentWriter:
    """One segment's MP4: an H.264 picture stream and an AAC sound stream."""

    def __init__(
        self, av: Any, path: Path, settings: EncodeSettings, audio_source: Any
    ) -> None:
        self.path = path
        self._container = av.open(str(path), mode="w", format="mp4")
        fps = Fraction(settings.fps).limit_denominator(1001)
        video = self._container.add_stream("libx264", rate=fps)
        video.width, video.height = settings.width, settings.height
        video.pix_fmt = "yuv420p"
        if settings.rotation:  # keep the picture as stored, shown as the source's
            video.set_display_rotation(settings.rotation)
        # Constant quality, capped by the VBV at the budget's bitrate: simple
        # pictures take few bytes, busy ones never exceed the cap.
        video.options = {
            "preset": "veryfast",
            "crf": str(SEGMENT_CRF),
            "maxrate": str(settings.video_bitrate),
            "bufsize": str(settings.video_bitrate),
        }
        self._video = video
        self._tick = 1 / fps
        self._audio: Any = None
        self._resampler: Any = None
        self._samples = 0
        self._sample_tick = Fraction(1, 1)
        if settings.audio_bitrate and audio_source is not None:
            rate = min(_AAC_RATES, key=lambda r: abs(r - audio_source.rate))
            layout = "mono" if audio_source.channels == 1 else "stereo"
            audio = self._container.add_stream("aac", rate=rate, layout=layout)
            audio.bit_rate = settings.audio_bitrate
            self._audio = audio
            self._sample_tick = Fraction(1, rate)
            self._resampler = av.AudioResampler(
                format="fltp", layout=layout, rate=rate, frame_size=1024
            )

    def add_picture(self, frame: Any, index: int) -> None:
        picture = frame.reformat(
            width=self._video.width, height=self._video.height, format="yuv420p"
        )
        picture.pts = index
        picture.time_base = self._tick
        self._container.mux(self._video.encode(picture))

    def add_sound(self, frame: Any) -> None:
        if self._audio is None:
            return
        frame.pts = None
        for piece in self._resampler.resample(frame):
            self._write_sound(piece)

    def _write_sound(self, piece: Any) -> None:
        # Counted in samples: the source's time base (e.g. 1/1000 in MKV)
        # would otherwise rescale these timestamps.
        piece.pts = self._samples
        piece.time_base = self._sample_tick
        self._samples += piece.samples
        self._container.mux(self._audio.encode(piece))

    def close(self) -> None:
        self._container.mux(self._video.encode(None))
        if self._audio is not None:
            for piece in self._resampler.resample(None):
                self._write_sound(piece)
            self._container.mux(self._audio.encode(None))
        self._container.close()


class _Segmenter:
    """Routes decoded frames to the segment files they belong to.

    Pictures go through a `_Grid` at the output frame rate, so every segment
    has a constant frame rate whatever the source's; sound frames go to the
    segment their start time falls in. Segments open on their first frame
    and close once both streams have moved past them.
    """

    def __init__(
        self, av: Any, plan: VideoPlan, folder: Path, audio_source: Any
    ) -> None:
        if plan.encode is None:  # pragma: no cover - checked by the caller
            msg = "a segments plan needs encode settings"
            raise ValueError(msg)
        self._av = av
        self._settings = plan.encode
        self._folder = folder
        self._audio_source = audio_source
        self._starts = [part.start for part in plan.parts]
        self._end = plan.parts[-1].end
        self._count = len(plan.parts)
        times: list[float] = []
        self._owners: list[tuple[int, int]] = []
        fps = self._settings.fps
        for index, part in enumerate(plan.parts):
            frames = max(1, math.ceil((part.end - part.start) * fps - 1e-9))
            times.extend(part.start + n / fps for n in range(frames))
            self._owners.extend((index, n) for n in range(frames))
        self._grid = _Grid(times)
        self._writers: dict[int, _SegmentWriter] = {}
        self._closed_below = 0
        self._picture_part = 0
        self._sound_part = 0
        self.sound_done = audio_source is None
        self.paths: list[Path] = []

    @property
    def done(self) -> bool:
        """True once every picture and all the wanted sound are written."""
        return self._grid.done and self.sound_done

    def _writer(self, index: int) -> _SegmentWriter | None:
        if index < self._closed_below:
            return None  # a late sound frame of a finished segment
        if index not in self._writers:
            target = self._folder / f"segment-{index:03d}.mp4"
            self._writers[index] = _SegmentWriter(
                self._av, target, self._settings, self._audio_source
            )
            self.paths.append(target)
        return self._writers[index]

    def sound(self, frame: Any, time: float) -> None:
        """Route one decoded sound frame."""
        self.sound_done = self.sound_done or time >= self._end
        if self._starts[0] <= time < self._end:
            self._sound_part = bisect.bisect_right(self._starts, time) - 1
            if (writer := self._writer(self._sound_part)) is not None:
                writer.add_sound(frame)
        self._close_finished()

    def picture(self, frame: Any, time: float) -> None:
        """Route one decoded picture; it settles the output frames before it."""
        self._write_pictures(self._grid.push(time, frame))
        self._close_finished()

    def finish(self) -> None:
        """At the end of the file: the last picture fills the remaining frames."""
        self._write_pictures(self._grid.finish())
        self.close(self._count)

    def close(self, below: int) -> None:
        """Finish the segment files before `below`."""
        for index in sorted(i for i in self._writers if i < below):
            self._writers.pop(index).close()
        self._closed_below = max(self._closed_below, below)

    def _write_pictures(self, settled: list[tuple[int, Any]]) -> None:
        for slot, shown in settled:
            self._picture_part, number = self._owners[slot]
            if (writer := self._writer(self._picture_part)) is not None:
                writer.add_picture(shown, number)

    def _close_finished(self) -> None:
        # Sound trails pictures by well under a segment in any sane file, so
        # a segment one behind the pictures is complete whatever the sound.
        pictures = self._picture_part
        below = (
            pictures
            if self.sound_done
            else max(min(pictures, self._sound_part), pictures - 1)
        )
        if below > self._closed_below:
            self.close(below)


def cut_segments(path: str | Path, plan: VideoPlan, out_dir: str | Path) -> list[Path]:
    """Decode once and write each part as its own MP4, with its sound.

    Segment `i` is written to `out_dir/segment-{i:03d}.mp4` (the folder is
    created if needed) while decoding
    goes on; at most two segments are open at a time (sound runs a little
    ahead of pictures in a file), so memory does not grow with the length.

    Raises:
        OmniInputError: If the file cannot be decoded, or a segment came out
            larger than `plan.encode.max_bytes`.
    """
    if plan.kind != "segments" or plan.encode is None:
        msg = f"cut_segments needs a segments plan, got a {plan.kind!r} plan."
        raise ValueError(msg)
    av = _import_av()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    source = _open_source(av, Path(path))
    with source:
        video = source.streams.video[0]
        video.thread_type = "AUTO"
        audio = (
            source.streams.audio[0]
            if plan.encode.audio_bitrate and source.streams.audio
            else None
        )
        segmenter = _Segmenter(
            av, plan, Path(out_dir), audio.codec_context if audio else None
        )
        streams = [video] if audio is None else [video, audio]
        try:
            for frame in _decoded(source, streams, plan.parts[0].start):
                if frame.time is None:
                    continue
                if isinstance(frame, av.AudioFrame):
                    segmenter.sound(frame, frame.time)
                else:
                    segmenter.picture(frame, frame.time)
                if segmenter.done:
                    break
            segmenter.finish()
        except av.FFmpegError as exc:
            segmenter.close(len(plan.parts))
            msg = f"Decoding {Path(path).name!r} failed ({exc})."
            raise OmniInputError(msg) from exc
    paths = sorted(segmenter.paths)
    _check_sizes(paths, plan.encode.max_bytes)
    return paths


def _check_sizes(paths: list[Path], max_bytes: int) -> None:
    for path in paths:
        size = path.stat().st_size
        if size > max_bytes:
            msg = (
                f"Segment {path.name} came out at {_mb(size)}, over the "
                f"{_mb(max_bytes)} it must fit. Use strategy='frames'."
            )
            raise OmniInputError(msg)
