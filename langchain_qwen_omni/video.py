"""Long and large videos -> pieces that Qwen-Omni accepts (PyAV).

A turbo model takes at most 40 s and 150 MB per video file, flash 150 s and
256 MB, every data URL at most 10,485,760 bytes (base64 adds a third), and an
image sequence 4..80 (turbo) or 2..128 (flash) frames. This module turns any
local video into parts within those limits, in three steps:

1. `probe_video` reads the container's header: duration, size, streams, and
   (MP4 and MOV) where the keyframes are and how many bytes lie between them.
2. `plan_video` (pure, no I/O) decides how to send the wanted time range:
   whole; cut at keyframes with the streams copied, when every segment fits
   the byte budget as it is; cut into re-encoded segments (video at the 2
   frames per second the model samples, the sound copied when it is AAC);
   or sampled into JPEG frame sequences; and says why.
3. `cut_segments` / `sample_frames` carry the plan out in one streaming pass.
   The model sees two pictures a second, so only the packets needed to show
   one picture per half second are decoded: in each group of pictures (a
   keyframe and what depends on it), decoding stops after the last picture
   wanted, and groups with none wanted are skipped. Memory stays flat
   however long the video is.

Sources are paths or binary file objects (a checked, open descriptor: see
`_sandbox.open_local_video`). PyAV (the `video` extra, which bundles FFmpeg)
is imported lazily, inside the functions that read or write.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import itertools
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from langchain_qwen_omni.errors import OmniInputError, QwenOmniError

if TYPE_CHECKING:
    import threading
    from collections.abc import Iterator, Sequence

    from langchain_qwen_omni.profiles import OmniModelProfile

__all__ = [
    "DATA_URL_PREFIX",
    "EncodeSettings",
    "PlanKind",
    "Strategy",
    "VideoInfo",
    "VideoInput",
    "VideoPart",
    "VideoPlan",
    "VideoPrepStoppedError",
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
VideoInput = str | Path | IO[bytes]
"""A video file: its path, or a readable, seekable binary file object."""

DATA_URL_PREFIX = "data:;base64,"
"""Prefix of a video file's data URL, as in Model Studio's own samples."""
SEGMENT_MARGIN_SECONDS = 0.5
"""Segments stay this far under the model's duration limit (frame rounding)."""
BYTE_SAFETY = 0.8
"""Share of the byte budget the encoder aims at; rate control overshoots a little."""
COPY_BYTE_SAFETY = 0.95
"""Share of the byte budget copied streams may fill (their sizes are known; the
rest is room for the MP4 header)."""
SEGMENT_FPS = 2.0
"""Frame rate of re-encoded segments: the rate at which the model samples video."""
MAX_SEGMENT_SIDE = 640
"""Longest side of re-encoded segments, in pixels (never upscaled)."""
MIN_SEGMENT_SIDE = 120
"""Shortest side below which segments are not shrunk further to save bits."""
MIN_BITS_PER_PIXEL = 0.1
"""Bits per pixel per frame under which a picture is shrunk before encoding
(frames half a second apart share little, so each needs bits of its own)."""
SEGMENT_CRF = 26
"""x264 constant-quality level of segments (lower is better and larger)."""
AUDIO_BITRATE = 64_000
"""AAC bitrate of a re-encoded sound track (speech and music stay clear)."""
MAX_COPIED_AUDIO_BITRATE = 320_000
"""AAC sound up to this bitrate is copied into segments instead of re-encoded."""
FRAMES_PER_SECOND = 2.0
"""Sampling rate of image sequences, as Omni's token calculators assume."""
MAX_FRAME_SIDE = 448
"""Longest side of sampled frames, in pixels (never upscaled)."""
JPEG_QUALITY = 5
"""MJPEG quantizer scale (2 best .. 31 worst) of sampled frames."""
DECODER_THREADS = 2
"""Decoder threads, two working on consecutive frames. Measured on two shared
cores (see benchmarks/README.md): decoding only what two pictures a second
need costs the same CPU with one thread, two frame threads or FFmpeg's
default (one per core, plus one), while two frame threads take about half
the wall time of one; more threads would only add draining at each group."""
LOOKAHEAD_BYTES = 48 * 1024 * 1024
"""Most compressed video held while looking for the next keyframe; a longer
group of pictures is decoded in full, as it streams."""
_EPSILON = 1e-6
"""Seconds under which two times are the same (window ends add up rounding)."""
_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_COPYABLE_VIDEO = frozenset({"h264"})
"""Video codecs copied into MP4 segments as they are."""
_MIN_VIDEO_BITRATE = 32_000
_FF_QP2LAMBDA = 118  # FFmpeg's quantizer-to-lambda factor


class VideoPrepStoppedError(QwenOmniError):
    """Cutting or sampling stopped early because its `stop` event was set."""


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
    video_codec: str = ""
    """FFmpeg's name of the video codec, e.g. `h264`."""
    audio_copyable: bool = False
    """Whether the sound can go into MP4 segments as it is: AAC, mono or
    stereo, at a standard rate, with a known bitrate."""
    audio_bitrate: int | None = None
    """Bits per second of the sound track, when the container says."""
    keyframes: tuple[float, ...] = dataclasses.field(default=(), repr=False)
    """Seconds of every keyframe, in order, from the container's index (MP4 and
    MOV); empty when the container keeps no full index."""
    keyframe_bytes: tuple[int, ...] = dataclasses.field(default=(), repr=False)
    """Bytes of video and sound from each keyframe to the next."""


def probe_video(source: VideoInput) -> VideoInfo:
    """Read a video's duration, size and streams from its header.

    Raises:
        OmniInputError: If the file is not a video PyAV can decode.
    """
    av = _import_av()
    name = _name_of(source)
    try:
        with _open_input(av, source) as container:
            if not container.streams.video:
                msg = f"{name!r} has no video stream (is it an audio file?)."
                raise OmniInputError(msg)
            stream = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            keyframes, sizes = _index_of(av, container, stream, audio)
            return VideoInfo(
                duration=_duration_of(container, stream),
                size_bytes=_size_of(source),
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
                fps=float(stream.average_rate or 0.0),
                has_audio=audio is not None,
                container=str(container.format.name),
                rotation=_rotation_of(container, stream),
                video_codec=str(stream.codec_context.name),
                audio_copyable=_audio_copyable(av, audio),
                audio_bitrate=int(audio.bit_rate or 0) or None if audio else None,
                keyframes=keyframes,
                keyframe_bytes=sizes,
            )
    except av.FFmpegError as exc:
        msg = (
            f"{name!r} cannot be decoded as a video ({exc}). "
            "Pass an MP4, MOV, MKV, AVI, FLV or WMV file."
        )
        raise OmniInputError(msg) from exc


def _open_input(av: Any, source: VideoInput) -> Any:
    if isinstance(source, (str, Path)):
        return av.open(str(source))
    source.seek(0)
    return av.open(source)


def _name_of(source: VideoInput) -> str:
    name = source if isinstance(source, (str, Path)) else getattr(source, "name", "")
    named = Path(name).name if isinstance(name, (str, Path)) else ""
    return named or "the video"


def _size_of(source: VideoInput) -> int:
    if isinstance(source, (str, Path)):
        return Path(source).stat().st_size
    here = source.tell()  # PyAV reads on from here: put it back
    try:
        return source.seek(0, os.SEEK_END)
    finally:
        source.seek(here)


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


def _audio_copyable(av: Any, audio: Any) -> bool:
    if audio is None or not _can_copy(av):
        return False
    context = audio.codec_context
    return (
        context.name == "aac"
        and context.layout.nb_channels in {1, 2}
        and context.sample_rate in _AAC_RATES
        and bool(audio.bit_rate)
    )


def _can_copy(av: Any) -> bool:
    """Whether this PyAV copies streams (`add_stream_from_template`, PyAV 13+)."""
    return hasattr(av.container.OutputContainer, "add_stream_from_template")


def _index_of(
    av: Any, container: Any, stream: Any, audio: Any
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Keyframe times and the bytes between them, from an MP4 or MOV index.

    Only these containers index every packet with its size; others (MKV
    cues list keyframes only) give nothing, and segments are then re-encoded.
    """
    name = str(container.format.name)
    entries = getattr(stream, "index_entries", None)
    if not ("mp4" in name or "mov" in name) or not entries or not _can_copy(av):
        return (), ()
    base = stream.time_base
    starts: list[int] = []
    sizes: list[int] = []
    for entry in entries:
        if entry.is_discard:
            continue
        if entry.is_keyframe:
            starts.append(entry.timestamp)
            sizes.append(0)
        if sizes:
            sizes[-1] += entry.size
    times = [float(start * base) for start in starts]
    if audio is not None and times:
        sound_base = audio.time_base
        for entry in audio.index_entries:
            group = bisect.bisect_right(times, float(entry.timestamp * sound_base))
            sizes[max(group - 1, 0)] += entry.size
    return tuple(times), tuple(sizes)


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
    copy_video: bool = False
    """The picture is copied as it is (cut at keyframes), not re-encoded."""
    copy_audio: bool = False
    """The AAC sound is copied as it is, not re-encoded."""


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
    max_bytes = int(
        min(
            profile.video_max_bytes,
            _max_file_for_data_url(profile.data_url_max_bytes),
        )
    )
    copied = _copied_parts(info, profile, (first, last), count, max_bytes)
    if copied is not None:
        return _copy_plan(info, copied, max_bytes, why)
    parts = _even_parts(first, last, count)
    encode = choose_encoding(info, seconds / count, max_bytes)
    reason = (
        f"{why}; cut into {count} re-encoded segment{'s' if count > 1 else ''} of "
        f"{seconds / count:.1f} s (limit {profile.video_max_seconds:g} s), "
        f"{encode.width}x{encode.height} at {encode.fps:g} fps, "
        f"under {_mb(max_bytes)} each so every data URL fits, "
        + _sound_note(info, encode)
    )
    return VideoPlan("segments", reason, parts, encode=encode)


def _sound_note(info: VideoInfo, encode: EncodeSettings) -> str:
    if not info.has_audio:
        return "the video has no sound"
    if encode.copy_audio:
        return "with the AAC sound track copied"
    return "keeping the sound track"


def _copy_plan(
    info: VideoInfo, parts: tuple[VideoPart, ...], max_bytes: int, why: str
) -> VideoPlan:
    longest = max(part.end - part.start for part in parts)
    encode = EncodeSettings(
        info.width,
        info.height,
        info.fps,
        int(info.size_bytes * 8 / max(info.duration, 1e-3)),
        info.audio_bitrate if info.has_audio else None,
        max_bytes,
        rotation=info.rotation,
        copy_video=True,
        copy_audio=info.has_audio,
    )
    count = len(parts)
    reason = (
        f"{why}; cut at keyframes into {count} segment{'s' if count > 1 else ''} "
        f"of at most {longest:.1f} s with the streams copied, not re-encoded: "
        f"each fits under {_mb(max_bytes)} as it is, so every data URL fits, "
        + _sound_note(info, encode)
    )
    return VideoPlan("segments", reason, parts, encode=encode)


def _copied_parts(
    info: VideoInfo,
    profile: OmniModelProfile,
    span: tuple[float, float],
    count: int,
    max_bytes: int,
) -> tuple[VideoPart, ...] | None:
    """Parts cut at keyframes whose streams fit as they are; `None` if none do.

    Each even boundary of `span` moves to the nearest keyframe; the first
    part starts at the keyframe at or before its start, the last ends at the
    keyframe at or after its end (or the video's end). One or two more parts
    are tried when the keyframes are too far apart for `count`.
    """
    first, last = span
    keys, sizes = info.keyframes, info.keyframe_bytes
    copyable = info.video_codec in _COPYABLE_VIDEO and (
        info.audio_copyable or not info.has_audio
    )
    if not copyable or not keys or len(sizes) != len(keys):
        return None
    edges = [*keys, info.duration]  # keyframe i's group ends at edges[i + 1]
    head = max(bisect.bisect_right(keys, first + 1e-6) - 1, 0)
    tail = bisect.bisect_left(keys, last - 1e-6)  # the edge at or after `last`
    budget = max_bytes * COPY_BYTE_SAFETY
    longest = profile.video_max_seconds - SEGMENT_MARGIN_SECONDS / 2
    for n in (count, count + 1, count + 2):
        inner = [
            _nearest(keys, head + 1, tail, first + (last - first) * j / n)
            for j in range(1, n)
        ]
        bounds = [head, *inner, tail]
        if any(b >= c for b, c in itertools.pairwise(bounds)):
            continue
        spans = [
            (edges[b], edges[c], sum(sizes[b:c])) for b, c in itertools.pairwise(bounds)
        ]
        if all(
            profile.video_min_seconds <= end - start <= longest and size <= budget
            for start, end, size in spans
        ):
            return tuple(VideoPart(max(start, 0.0), end) for start, end, _ in spans)
    return None


def _nearest(keys: Sequence[float], low: int, high: int, time: float) -> int:
    """Index in `[low, high)` of the keyframe nearest `time`; `high` if none."""
    if low >= high:
        return high
    right = bisect.bisect_left(keys, time, low, high)
    around = [k for k in (right - 1, right) if low <= k < high]
    return min(around, key=lambda k: abs(keys[k] - time))


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
    copy_audio = (
        info.has_audio
        and info.audio_copyable
        and info.audio_bitrate is not None
        and info.audio_bitrate <= min(MAX_COPIED_AUDIO_BITRATE, total / 3)
    )
    audio = (
        info.audio_bitrate
        if copy_audio
        else min(AUDIO_BITRATE, int(total / 4))
        if info.has_audio
        else None
    )
    video = max(int(total * 0.97) - (audio or 0), _MIN_VIDEO_BITRATE)
    fps = min(info.fps or SEGMENT_FPS, SEGMENT_FPS)
    side = MAX_SEGMENT_SIDE
    width, height = _scaled(info.width, info.height, side)
    while (
        width * height * fps * MIN_BITS_PER_PIXEL > video
        and min(width, height) > MIN_SEGMENT_SIDE
    ):
        side = int(side * 0.8)
        width, height = _scaled(info.width, info.height, side)
    return EncodeSettings(
        width,
        height,
        fps,
        video,
        audio,
        max_bytes,
        rotation=info.rotation,
        copy_audio=copy_audio,
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


def _seconds(packet: Any) -> float | None:
    """A packet's presentation time in seconds; `None` when it has none."""
    if packet.pts is None or packet.time_base is None:
        return None
    return float(packet.pts * packet.time_base)


def _frame_seconds(frame: Any, time_base: Any) -> float | None:
    """A decoded frame's time, counted in its stream's time base.

    Frames drained from a decoder (and from frame threads) carry their pts
    but no time base of their own.
    """
    return None if frame.pts is None else float(frame.pts * time_base)


class _Windows:
    """Gives each time window one picture, spread out and cheap to decode.

    Window `i` is `[starts[i], ends[i])`: the half second an output frame is
    shown, or the slot a sampled frame stands for. It takes the first
    decoded picture from half a window before its start up to its end that
    comes at least half a window after the previous window's picture (its
    `floor`): pictures are then a quarter to three quarters of a second
    apart at two a second, two a second on average, and the earliest in
    reach, which is the cheapest to decode, is used. A window without one
    (a source slower than the output) takes the latest picture before its
    end, or, before the first picture, the first. Pictures must come in
    time order.
    """

    def __init__(self, starts: Sequence[float], ends: Sequence[float]) -> None:
        self.starts = starts
        self.ends = ends
        self._next = 0
        self._last: Any = None
        self._last_time = 0.0
        self.prev: float | None = None
        """Time of the picture the last settled window took."""

    @property
    def done(self) -> bool:
        """True once every window has its picture."""
        return self._next >= len(self.starts)

    @property
    def first_open(self) -> int:
        """Index of the first window still waiting for its picture."""
        return self._next

    def floor(self, index: int, prev: float | None) -> float:
        """Earliest time window `index` takes a picture at, after one at `prev`."""
        start, end = self.starts[index], self.ends[index]
        half = (end - start) / 2
        return start - half if prev is None else max(start - half, prev + half)

    def push(self, time: float, frame: Any) -> list[tuple[int, Any]]:
        """Add a decoded picture; return the `(window, picture)` pairs it settles."""
        settled = []
        reached = time + _EPSILON  # a picture at a window's end belongs to the next
        while not self.done and self.ends[self._next] <= reached:
            if self._last is None:
                self._last, self._last_time = frame, time
            settled.append((self._next, self._last))
            self.prev = self._last_time
            self._next += 1
        if not self.done and reached >= self.floor(self._next, self.prev):
            settled.append((self._next, frame))
            self.prev = time
            self._next += 1
        self._last, self._last_time = frame, time
        return settled

    def finish(self) -> list[tuple[int, Any]]:
        """At the end of the stream, the last picture fills the open windows."""
        if self._last is None:
            return []
        settled = [(i, self._last) for i in range(self._next, len(self.starts))]
        self._next = len(self.starts)
        return settled


class _Picker:
    """Decodes only the video packets that the windows' pictures need.

    Packets are held one group of pictures at a time (a keyframe and the
    packets up to the next one), so the group's span is known before any is
    decoded. A window inside the group takes the picture past its floor
    that comes first in decoding order (a keyframe costs one decode, a
    picture late in the group costs every one before it); a window reaching
    past the next keyframe waits for it. The group is decoded up to the last picture
    wanted, and the decoder is drained and reset there, since the next group
    starts at a keyframe; a group with nothing wanted is not decoded at all.
    """

    def __init__(self, stream: Any, windows: _Windows) -> None:
        self._decoder = stream.codec_context
        self._time_base = stream.time_base
        self._windows = windows
        self._group: list[Any] = []
        self._group_bytes = 0
        self._plan_from = 0
        """First window not yet matched to a group's picture."""
        self._planned_prev: float | None = None
        """Time of the picture planned for the window before `_plan_from`."""
        self._dirty = False
        """Packets went in since the decoder was last drained."""

    def feed(self, packet: Any) -> list[tuple[int, Any]]:
        """Take one demuxed video packet; return the windows it lets settle."""
        settled: list[tuple[int, Any]] = []
        if packet.is_keyframe and self._group:
            settled = self._run(_seconds(packet))
        self._group.append(packet)
        self._group_bytes += packet.size
        if self._group_bytes > LOOKAHEAD_BYTES:  # no keyframe in sight: stream it
            settled += self._run(None)
        return settled

    def finish(self) -> list[tuple[int, Any]]:
        """At the end of the stream: the last group, the decoder's tail, the rest."""
        settled = self._run(math.inf)
        settled += self._drain()
        return settled + self._windows.finish()

    @property
    def done(self) -> bool:
        """True once every window has its picture."""
        return self._windows.done

    def _run(self, next_key: float | None) -> list[tuple[int, Any]]:
        """Decode what the held group must give, `next_key` its successor's time.

        `None`: the group goes on past the held packets, so all are decoded
        (later ones may refer to any of them) and the decoder is not reset.
        """
        group, self._group, self._group_bytes = self._group, [], 0
        if next_key is None or any(packet.pts is None for packet in group):
            return self._decode(group)
        wanted = self._last_wanted(group, next_key)
        settled = self._decode(group[: wanted + 1])
        if wanted + 1 < len(group) and self._dirty:
            settled += self._drain()
        return settled

    def _last_wanted(self, group: list[Any], next_key: float) -> int:
        """Decoding-order index of the group's last wanted picture; -1 for none.

        Follows `_Windows`' choice ahead of decoding: in each window, the
        first picture in decoding order at or past the window's floor.
        """
        times = [_seconds(packet) or 0.0 for packet in group]
        windows = self._windows
        starts, ends = windows.starts, windows.ends
        index, prev = self._plan_from, self._planned_prev
        if windows.first_open > index:  # settled while streaming a long group
            index, prev = windows.first_open, windows.prev
        wanted = -1
        while index < len(starts) and starts[index] < next_key:
            if ends[index] > next_key + _EPSILON:
                break  # the next keyframe lies inside: it will serve
            floor = windows.floor(index, prev) - _EPSILON
            end = ends[index] - _EPSILON
            inside = [k for k, t in enumerate(times) if floor <= t < end]
            if inside:
                wanted = max(wanted, inside[0])
                prev = times[inside[0]]
            else:  # the window will repeat the latest picture before its end
                prev = max((t for t in times if t < end), default=prev)
            index += 1
        self._plan_from, self._planned_prev = index, prev
        return wanted

    def _decode(self, packets: list[Any]) -> list[tuple[int, Any]]:
        settled = []
        for packet in packets:
            self._dirty = True
            for frame in self._decoder.decode(packet):
                settled += self._settle(frame)
        return settled

    def _drain(self) -> list[tuple[int, Any]]:
        """Take the pictures the decoder holds back, and reset it for a keyframe."""
        if not self._dirty:
            return []
        settled = []
        for frame in self._decoder.decode(None):
            settled += self._settle(frame)
        self._decoder.flush_buffers()
        self._dirty = False
        return settled

    def _settle(self, frame: Any) -> list[tuple[int, Any]]:
        time = _frame_seconds(frame, self._time_base)
        return [] if time is None else self._windows.push(time, frame)


def _set_up_decoder(stream: Any) -> None:
    """Deliberate threading (see `DECODER_THREADS`); FFmpeg's default is per core."""
    stream.thread_type = "FRAME" if DECODER_THREADS > 1 else "NONE"
    stream.thread_count = DECODER_THREADS


def _demuxed(
    container: Any, streams: list[Any], start: float, stop: threading.Event | None
) -> Iterator[Any]:
    """Packets of the streams in file order, from the keyframe before `start`."""
    if start > 0:
        container.seek(int(start * 1_000_000), backward=True, any_frame=False)
    for packet in container.demux(*streams):
        if stop is not None and stop.is_set():
            msg = "Preparing the video was stopped."
            raise VideoPrepStoppedError(msg)
        if packet.dts is not None or packet.pts is not None:
            yield packet


def _open_source(av: Any, source: VideoInput) -> Any:
    try:
        return _open_input(av, source)
    except av.FFmpegError as exc:
        msg = f"{_name_of(source)!r} cannot be decoded as a video ({exc})."
        raise OmniInputError(msg) from exc


def sample_frames(
    source: VideoInput, plan: VideoPlan, *, stop: threading.Event | None = None
) -> list[list[bytes]]:
    """Decode once and return each part's frames as JPEG bytes.

    Each frame is a picture from within its slot (the one cheapest to decode),
    scaled to `plan.frame_size` and JPEG-encoded as it comes; only the small
    JPEGs are kept.

    Raises:
        OmniInputError: If the file cannot be decoded.
        VideoPrepStoppedError: If `stop` was set before the end.
    """
    if plan.kind != "frames" or plan.frame_size is None:
        msg = f"sample_frames needs a frames plan, got a {plan.kind!r} plan."
        raise ValueError(msg)
    av = _import_av()
    starts: list[float] = []
    ends: list[float] = []
    owners: list[int] = []
    for index, part in enumerate(plan.parts):
        slot = (part.end - part.start) / max(len(part.frame_times), 1)
        for time in part.frame_times:
            starts.append(time - slot / 2)
            ends.append(time + slot / 2)
            owners.append(index)
    result: list[list[bytes]] = [[] for _ in plan.parts]
    jpegs = _JpegWriter(av, *plan.frame_size, plan.rotation)
    with _open_source(av, source) as container:
        stream = container.streams.video[0]
        _set_up_decoder(stream)
        picker = _Picker(stream, _Windows(starts, ends))
        try:
            for packet in _demuxed(container, [stream], plan.parts[0].start, stop):
                for index, shown in picker.feed(packet):
                    result[owners[index]].append(jpegs.encode(shown, index))
                if picker.done:
                    break
            for index, shown in picker.finish():
                result[owners[index]].append(jpegs.encode(shown, index))
        except av.FFmpegError as exc:
            msg = f"Decoding {_name_of(source)!r} failed ({exc})."
            raise OmniInputError(msg) from exc
    return result


class _JpegWriter:
    """One JPEG encoder and one scaler for every sampled frame."""

    def __init__(self, av: Any, width: int, height: int, rotation: int) -> None:
        from av.video.reformatter import VideoReformatter  # noqa: PLC0415

        encoder = av.CodecContext.create("mjpeg", "w")
        encoder.width, encoder.height = width, height
        encoder.pix_fmt = "yuvj420p"
        encoder.time_base = Fraction(1, 1)
        encoder.qscale = True  # a fixed quantizer, given as a lambda below
        encoder.global_quality = JPEG_QUALITY * _FF_QP2LAMBDA
        self._av = av
        self._encoder = encoder
        self._scaler = VideoReformatter()
        self._rotation = rotation

    def encode(self, frame: Any, index: int) -> bytes:
        width, height = self._encoder.width, self._encoder.height
        if self._rotation:
            frame = self._turned(frame, width, height)
        picture = self._scaler.reformat(
            frame, width=width, height=height, format="yuvj420p"
        )
        picture.pts = index
        picture.time_base = self._encoder.time_base
        return b"".join(bytes(packet) for packet in self._encoder.encode(picture))

    def _turned(self, frame: Any, width: int, height: int) -> Any:
        """Scale a frame, then turn it upright: `width` x `height` as displayed.

        Scaling first keeps the turn cheap (numpy on the small picture).
        """
        import numpy as np  # noqa: PLC0415  # only for turned videos

        across = self._rotation % 180 != 0
        stored_width, stored_height = (height, width) if across else (width, height)
        rgb = self._scaler.reformat(
            frame, width=stored_width, height=stored_height, format="rgb24"
        ).to_ndarray()
        upright = np.ascontiguousarray(np.rot90(rgb, self._rotation // 90))
        return self._av.VideoFrame.from_ndarray(upright, format="rgb24")


class _SegmentWriter:
    """One segment's MP4: its picture and sound, each encoded or copied.

    Timestamps count from `start`, the segment's first second in the source,
    for both streams alike, so copied and encoded streams stay in sync.
    """

    def __init__(
        self,
        av: Any,
        path: Path,
        settings: EncodeSettings,
        sources: tuple[Any, Any],
        start: float,
    ) -> None:
        from av.video.reformatter import VideoReformatter  # noqa: PLC0415

        video_source, audio_source = sources
        self.path = path
        self._container = av.open(str(path), mode="w", format="mp4")
        self._start = start
        self._scaler = VideoReformatter()
        self._copy_video = settings.copy_video
        fps = Fraction(settings.fps).limit_denominator(1001)
        self._tick = 1 / fps
        self._video = (
            self._container.add_stream_from_template(video_source)
            if settings.copy_video
            else self._encoded_video(settings, fps)
        )
        self._audio: Any = None
        self._copy_audio = settings.copy_audio
        self._resampler: Any = None
        self._samples = 0
        self._sample_tick = Fraction(1, 1)
        if audio_source is None or settings.audio_bitrate is None:
            return
        if settings.copy_audio:
            self._audio = self._container.add_stream_from_template(audio_source)
            return
        context = audio_source.codec_context
        rate = min(_AAC_RATES, key=lambda r: abs(r - context.rate))
        layout = "mono" if context.channels == 1 else "stereo"
        audio = self._container.add_stream("aac", rate=rate, layout=layout)
        audio.bit_rate = settings.audio_bitrate
        self._audio = audio
        self._sample_tick = Fraction(1, rate)
        self._resampler = av.AudioResampler(
            format="fltp", layout=layout, rate=rate, frame_size=1024
        )

    def _encoded_video(self, settings: EncodeSettings, fps: Fraction) -> Any:
        video = self._container.add_stream("libx264", rate=fps)
        video.width, video.height = settings.width, settings.height
        video.pix_fmt = "yuv420p"
        if settings.rotation:  # keep the picture as stored, shown as the source's
            video.set_display_rotation(settings.rotation)
        # Constant quality, capped by the VBV at the budget's bitrate: simple
        # pictures take few bytes, busy ones never exceed the cap. Pictures
        # half a second apart share little, so motion search finds little:
        # the fastest preset costs a quarter of `veryfast`'s CPU for about
        # a fifth more bytes, well within the budget. At two pictures a
        # second, one thread is all the encoder can use.
        video.options = {
            "preset": "ultrafast",
            "crf": str(SEGMENT_CRF),
            "maxrate": str(settings.video_bitrate),
            "bufsize": str(settings.video_bitrate),
            "threads": "1",
        }
        return video

    def add_picture(self, frame: Any, index: int) -> None:
        """Encode one output picture, the `index`-th of the segment."""
        picture = self._scaler.reformat(
            frame, width=self._video.width, height=self._video.height, format="yuv420p"
        )
        picture.pts = index
        picture.time_base = self._tick
        self._container.mux(self._video.encode(picture))

    def copy(self, packet: Any, *, audio: bool) -> None:
        """Write a demuxed packet as it is, its time counted from the start."""
        stream = self._audio if audio else self._video
        if stream is None:
            return
        shift = round(self._start / packet.time_base)
        packet.pts = None if packet.pts is None else packet.pts - shift
        packet.dts = None if packet.dts is None else packet.dts - shift
        packet.stream = stream
        self._container.mux(packet)

    def add_sound(self, frame: Any) -> None:
        """Resample and encode one decoded sound frame."""
        if self._resampler is None:
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
        """Flush the encoders and finish the file."""
        if not self._copy_video:
            self._container.mux(self._video.encode(None))
        if self._resampler is not None:
            for piece in self._resampler.resample(None):
                self._write_sound(piece)
            self._container.mux(self._audio.encode(None))
        self._container.close()

    def abort(self) -> None:
        """Close the file without flushing: it is being thrown away."""
        with contextlib.suppress(Exception):  # best effort on the way out
            self._container.close()


class _Segmenter:
    """Routes pictures and sound to the segment files they belong to.

    Segments open on their first picture or sound and close once both
    streams are past them, so at most two are open at a time.
    """

    def __init__(
        self, av: Any, plan: VideoPlan, folder: Path, sources: tuple[Any, Any]
    ) -> None:
        if plan.encode is None:  # pragma: no cover - checked by the caller
            msg = "a segments plan needs encode settings"
            raise ValueError(msg)
        self._av = av
        self.settings = plan.encode
        self._folder = folder
        self._sources = sources
        self.starts = [part.start for part in plan.parts]
        self.end = plan.parts[-1].end
        self.count = len(plan.parts)
        self._writers: dict[int, _SegmentWriter] = {}
        self._closed_below = 0
        self.picture_part = -1
        """The segment pictures have reached; those before it are complete."""
        self.sound_part = -1 if sources[1] is not None else self.count
        """The same for sound."""
        self.paths: list[Path] = []

    def writer(self, index: int) -> _SegmentWriter | None:
        """The open file of segment `index`; `None` once it is finished."""
        if index < self._closed_below or index >= self.count:
            return None
        if index not in self._writers:
            target = self._folder / f"segment-{index:03d}.mp4"
            self._writers[index] = _SegmentWriter(
                self._av, target, self.settings, self._sources, self.starts[index]
            )
            self.paths.append(target)
        return self._writers[index]

    def part_at(self, time: float) -> int:
        """The segment a time falls in; `count` past the end, -1 before the start."""
        if time >= self.end:
            return self.count
        return bisect.bisect_right(self.starts, time) - 1

    def sound(self, time: float | None, thing: Any) -> None:
        """Route a sound packet (copied sound) or a decoded frame by its time."""
        if time is None:
            return
        part = self.part_at(time)
        self.sound_part = max(self.sound_part, part)
        if 0 <= part < self.count and (writer := self.writer(part)) is not None:
            if self.settings.copy_audio:
                writer.copy(thing, audio=True)
            else:
                writer.add_sound(thing)
        self.close_finished()

    def sound_packet(self, packet: Any) -> None:
        """Route a sound packet: as it is, or decoded into frames."""
        if self.settings.copy_audio:
            self.sound(_seconds(packet), packet)
            return
        for frame in packet.decode():
            self.sound(_frame_seconds(frame, packet.time_base), frame)

    def pictures(
        self,
        settled: list[tuple[int, Any]],
        owners: Sequence[tuple[int, int]],
        *,
        finished: bool,
    ) -> None:
        """Encode settled output frames (`owners` maps a slot to segment and number)."""
        for slot, shown in settled:
            part, number = owners[slot]
            self.picture_part = part
            if (writer := self.writer(part)) is not None:
                writer.add_picture(shown, number)
        if finished:
            self.picture_part = self.count
        self.close_finished()

    @property
    def done(self) -> bool:
        """True once both streams are past the last segment."""
        return min(self.picture_part, self.sound_part) >= self.count

    def close(self, below: int) -> None:
        """Finish the segment files before `below`."""
        for index in sorted(i for i in self._writers if i < below):
            self._writers.pop(index).close()
        self._closed_below = max(self._closed_below, below)

    def close_finished(self) -> None:
        """Finish every segment that both streams have left.

        Sound trails pictures by well under a segment in any sane file, so a
        segment two behind the pictures is complete whatever the sound (a
        sound track shorter than the picture must not keep every file open).
        """
        below = max(min(self.picture_part, self.sound_part), self.picture_part - 1)
        if below > self._closed_below:
            self.close(below)

    def abort(self) -> None:
        """Drop every open file (an error or a stop)."""
        for writer in self._writers.values():
            writer.abort()
        self._writers.clear()


def cut_segments(
    source: VideoInput,
    plan: VideoPlan,
    out_dir: str | Path,
    *,
    stop: threading.Event | None = None,
) -> list[Path]:
    """Read once and write each part as its own MP4, with its sound.

    Segment `i` is written to `out_dir/segment-{i:03d}.mp4` (the folder is
    created if needed) while reading goes on. Copy plans copy the packets
    between keyframes; others decode only the pictures the output needs
    (see `_Picker`) and copy AAC sound when the plan says so.

    Raises:
        OmniInputError: If the file cannot be decoded, or a segment came out
            larger than `plan.encode.max_bytes`.
        VideoPrepStoppedError: If `stop` was set before the end.
    """
    if plan.kind != "segments" or plan.encode is None:
        msg = f"cut_segments needs a segments plan, got a {plan.kind!r} plan."
        raise ValueError(msg)
    av = _import_av()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with _open_source(av, source) as container:
        video = container.streams.video[0]
        audio = (
            container.streams.audio[0]
            if plan.encode.audio_bitrate and container.streams.audio
            else None
        )
        segmenter = _Segmenter(av, plan, Path(out_dir), (video, audio))
        streams = [video] if audio is None else [video, audio]
        try:
            packets = _demuxed(container, streams, plan.parts[0].start, stop)
            if plan.encode.copy_video:
                _copy_pass(packets, segmenter, audio)
            else:
                _encode_pass(packets, segmenter, plan, video, audio)
            segmenter.close(segmenter.count)
        except av.FFmpegError as exc:
            segmenter.abort()
            msg = f"Decoding {_name_of(source)!r} failed ({exc})."
            raise OmniInputError(msg) from exc
        except BaseException:
            segmenter.abort()
            raise
    paths = sorted(segmenter.paths)
    _check_sizes(paths, plan.encode.max_bytes)
    return paths


def _copy_pass(packets: Iterator[Any], segmenter: _Segmenter, audio: Any) -> None:
    """Copy packets; the picture changes segment at the keyframe starting one."""
    for packet in packets:
        if packet.stream is audio:
            segmenter.sound(_seconds(packet), packet)
        else:
            if packet.is_keyframe:
                segmenter.picture_part = max(
                    segmenter.picture_part, _copied_part(segmenter, packet)
                )
            part = segmenter.picture_part
            if 0 <= part < segmenter.count and (writer := segmenter.writer(part)):
                writer.copy(packet, audio=False)
            segmenter.close_finished()
        if segmenter.done:
            break


def _copied_part(segmenter: _Segmenter, keyframe: Any) -> int:
    """The segment a keyframe starts or continues.

    Boundaries are keyframe times from the index, which counts decoding
    times, as this does; a small tolerance absorbs the rounding. A first
    boundary of 0 may stand for a keyframe decoded a little before 0.
    """
    stamp = keyframe.dts if keyframe.dts is not None else keyframe.pts
    time = float(stamp * keyframe.time_base)
    if time >= segmenter.end - 1e-3:
        return segmenter.count
    part = bisect.bisect_right(segmenter.starts, time + 1e-3) - 1
    return 0 if part < 0 and segmenter.starts[0] <= 0.0 else part


def _encode_pass(
    packets: Iterator[Any],
    segmenter: _Segmenter,
    plan: VideoPlan,
    video: Any,
    audio: Any,
) -> None:
    """Decode the pictures the output needs, encode them; sound decoded or copied."""
    _set_up_decoder(video)
    starts, owners = _frame_slots(plan, segmenter.settings.fps)
    ends = [*starts[1:], plan.parts[-1].end]  # a part's last frame ends with it
    picker = _Picker(video, _Windows(starts, ends))
    for packet in packets:
        if packet.stream is audio:
            segmenter.sound_packet(packet)
        else:
            segmenter.pictures(picker.feed(packet), owners, finished=picker.done)
        if segmenter.done:
            break
    segmenter.pictures(picker.finish(), owners, finished=True)
    if audio is not None and not segmenter.settings.copy_audio:
        for frame in audio.codec_context.decode(None):  # the decoder's last frames
            segmenter.sound(_frame_seconds(frame, audio.time_base), frame)


def _frame_slots(
    plan: VideoPlan, fps: float
) -> tuple[list[float], list[tuple[int, int]]]:
    """Start time of every output frame, and its (segment, frame number)."""
    starts: list[float] = []
    owners: list[tuple[int, int]] = []
    for index, part in enumerate(plan.parts):
        frames = max(1, round((part.end - part.start) * fps))
        starts.extend(part.start + n / fps for n in range(frames))
        owners.extend((index, n) for n in range(frames))
    return starts, owners


def _check_sizes(paths: list[Path], max_bytes: int) -> None:
    for path in paths:
        size = path.stat().st_size
        if size > max_bytes:
            msg = (
                f"Segment {path.name} came out at {_mb(size)}, over the "
                f"{_mb(max_bytes)} it must fit. Use strategy='frames'."
            )
            raise OmniInputError(msg)
