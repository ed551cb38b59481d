"""Preparing videos for a 40 s model: CPU time and peak memory per strategy.

Two generated sources are prepared for `qwen-omni-turbo` by each strategy:
cut into segments, and sampled into JPEG frame sequences.

- `static`: 10 minutes of 1280x720 at 25 fps, almost static (a gradient
  and a moving square, a beep every few seconds), stereo AAC: cheap to
  decode, small enough per 40 s that its streams can often be copied.
- `realistic`: 2 minutes of 1280x720 at 30 fps and about 15 Mb/s, as a
  phone records it (H.264 with CABAC and B-frames, a keyframe every second,
  textures panning at several speeds and a moving object), with stereo
  48 kHz AAC of a wandering, modulated tone over noise.

Each (source, strategy) runs in a fresh process, which reports its own CPU
seconds (user + system, every thread) spent preparing and its peak resident
memory (`ru_maxrss`, so imports count too). The same run measures three
floors on each source in fresh processes: reading every packet (demux
only); decoding the keyframes only, which any sampling must at least do
(one picture a second on the realistic source); and decoding every video
frame, the cost a pipeline that decodes everything cannot go below.

Targets: segments at most 0.1 CPU second per second of video, frames at
most 0.05, and a peak RSS under 300 MB.

The sources are generated once (a few minutes) and cached in the temp
folder, never in the repository; their generation is not measured.

Run: `python -m benchmarks.video_prep` or `python benchmarks/video_prep.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import Result, table

if TYPE_CHECKING:
    from collections.abc import Callable

MODEL = "qwen-omni-turbo"
CPU_TARGETS = {"segments": 0.1, "frames": 0.05}
"""CPU seconds per second of video."""
RSS_TARGET_MB = 300.0
STRATEGIES = ("segments", "frames")
FLOORS = ("demux", "keyframes", "decode")
CACHE = Path(tempfile.gettempdir()) / "langchain-qwen-omni-bench"
WIDTH, HEIGHT = 1280, 720


@dataclasses.dataclass(frozen=True)
class Source:
    """A generated video: how long, how dense, and how to make it."""

    name: str
    seconds: int
    fps: int
    make: Callable[[Path, Source], None]

    @property
    def path(self) -> Path:
        """Where the generated file is cached."""
        return CACHE / f"{self.name}-{self.seconds}s-{WIDTH}x{HEIGHT}-{self.fps}fps.mp4"


def source_video(source: Source) -> Path:
    """The cached source video, generated on first use."""
    target = source.path
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {target} (once) ...", file=sys.stderr, flush=True)
        partial = target.with_suffix(".partial.mp4")
        source.make(partial, source)
        partial.rename(target)
    return target


# --- the static source --------------------------------------------------------


def _static(path: Path, source: Source) -> None:
    """Write a cheap-to-make video: static gradient, moving square, beeps."""
    import av  # noqa: PLC0415  # heavy, only needed here
    import numpy as np  # noqa: PLC0415

    rows = np.linspace(16, 235, HEIGHT, dtype=np.uint8)[:, None]
    luma = np.repeat(rows, WIDTH, axis=1)
    chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)  # U and V planes
    side = 96
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=source.fps)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "23", "g": str(source.fps * 2)}
        audio = container.add_stream("aac", rate=44_100, layout="stereo")
        audio.bit_rate = 128_000
        for index in range(source.seconds * source.fps):
            picture = np.concatenate([luma, chroma])
            x = (index * 8) % (WIDTH - side)
            y = (HEIGHT - side) // 2 + int(100 * np.sin(index / 20))
            picture[y : y + side, x : x + side] = 235
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
        _write_sound(av, container, audio, source.seconds, _beeps)


def _beeps(np: Any, t: Any, second: float) -> Any:
    """A 0.3 s tone every 5 s, silence between: quick to encode."""
    if second % 5 < 0.3:
        tone = 0.3 * np.sin(2 * np.pi * 440 * (t + second))
        return np.stack([tone, tone]).astype(np.float32)
    return np.zeros((2, len(t)), dtype=np.float32)


# --- the realistic source -----------------------------------------------------

REALISTIC_BITRATE = 15_000_000


def _texture(np: Any, rng: Any, height: int, width: int, grain: int) -> Any:
    """Smoothed noise: blobs about `grain` pixels wide, values 0..255."""
    coarse = rng.integers(0, 256, (height // grain + 2, width // grain + 2))
    fine = np.repeat(np.repeat(coarse.astype(np.float32), grain, 0), grain, 1)
    summed = np.cumsum(np.cumsum(np.pad(fine, ((1, 0), (1, 0))), 0), 1)
    box = (
        summed[grain:, grain:]
        - summed[:-grain, grain:]
        - summed[grain:, :-grain]
        + summed[:-grain, :-grain]
    ) / (grain * grain)
    return box[:height, :width]


def _realistic(path: Path, source: Source) -> None:
    """Write a dense video: layers panning at their own speeds, an object, sound."""
    import av  # noqa: PLC0415  # heavy, only needed here
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(7)
    span = 3 * WIDTH
    far = (_texture(np, rng, HEIGHT + 64, span, 16) * 0.6 + 40).astype(np.uint8)
    near = (_texture(np, rng, HEIGHT, span, 3) * 0.5).astype(np.uint8)
    grain = rng.integers(0, 40, (HEIGHT, span), dtype=np.uint8)
    horizon = HEIGHT * 3 // 5
    u_plane = np.full((HEIGHT // 2, WIDTH // 2), 120, np.uint8)
    v_plane = np.full((HEIGHT // 2, WIDTH // 2), 136, np.uint8)
    side = 200
    fps = source.fps
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.bit_rate = REALISTIC_BITRATE
        video.options = {
            "preset": "superfast",  # keeps CABAC and B-frames, as phones do
            "g": str(fps),
            "maxrate": str(REALISTIC_BITRATE * 3 // 2),
            "bufsize": str(REALISTIC_BITRATE * 2),
        }
        audio = container.add_stream("aac", rate=48_000, layout="stereo")
        audio.bit_rate = 128_000
        for index in range(source.seconds * fps):
            luma = np.empty((HEIGHT, WIDTH), np.uint8)
            sky = (index // 2) % 64
            slow = (index * 3) % (2 * WIDTH)
            luma[:horizon] = far[sky : sky + horizon, slow : slow + WIDTH]
            fast, jitter = (index * 11) % (2 * WIDTH), (index * 5) % (2 * WIDTH)
            luma[horizon:] = (
                near[horizon:, fast : fast + WIDTH]
                + grain[horizon:, jitter : jitter + WIDTH]
            )
            x = int((WIDTH - side) * (0.5 + 0.5 * np.sin(index / 40)))
            y = int((horizon - side) * (0.5 + 0.5 * np.cos(index / 27)))
            skin = (index * 7) % (2 * WIDTH)
            luma[y : y + side, x : x + side] = near[:side, skin : skin + side] * 2
            u, v = u_plane.copy(), v_plane.copy()
            u[y // 2 : (y + side) // 2, x // 2 : (x + side) // 2] = 60
            v[y // 2 : (y + side) // 2, x // 2 : (x + side) // 2] = 200
            planes = [luma, u.reshape(-1, WIDTH), v.reshape(-1, WIDTH)]
            frame = av.VideoFrame.from_ndarray(np.concatenate(planes), format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
        noise = np.random.default_rng(8)

        def voice(np: Any, t: Any, second: float) -> Any:
            pitch = 200 + 100 * np.sin(second * 0.7)
            swell = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * (t + second))
            tone = 0.2 * np.sin(2 * np.pi * pitch * (t + second)) * swell
            hiss = noise.normal(0, 0.03, len(t))
            return np.stack([tone + hiss, 0.8 * tone + hiss]).astype(np.float32)

        _write_sound(av, container, audio, source.seconds, voice)


def _write_sound(
    av: Any,
    container: Any,
    audio: Any,
    seconds: int,
    samples_at: Callable[[Any, Any, float], Any],
) -> None:
    import numpy as np  # noqa: PLC0415

    rate = audio.codec_context.sample_rate
    step = 1024
    t = np.arange(step, dtype=np.float32) / rate
    for start in range(0, seconds * rate, step):
        samples = samples_at(np, t, start / rate)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = start
        container.mux(audio.encode(frame))
    container.mux(audio.encode())


SOURCES = (
    Source("static", 600, 25, _static),
    Source("realistic", 120, 30, _realistic),
)


# --- the measured child -------------------------------------------------------


def _prepare(strategy: str, path: Path) -> dict[str, float]:
    """Run in the child: prepare the video, report CPU seconds and peak RSS."""
    import av  # noqa: F401, PLC0415  # loaded before measuring, like the package

    from langchain_qwen_omni.profiles import get_profile  # noqa: PLC0415
    from langchain_qwen_omni.video import (  # noqa: PLC0415
        cut_segments,
        plan_video,
        probe_video,
        sample_frames,
    )

    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    info = probe_video(path)
    plan = plan_video(info, get_profile(MODEL), strategy=strategy)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        if plan.kind == "segments":
            outputs = cut_segments(path, plan, folder)
            parts, size = len(outputs), sum(p.stat().st_size for p in outputs)
        else:
            frames = sample_frames(path, plan)
            parts, size = len(frames), sum(len(f) for seq in frames for f in seq)
    return _report(before, wall, info.duration, parts=parts, size=size)


def _floor(kind: str, path: Path) -> dict[str, float]:
    """Run in the child: read every packet, or decode keyframes or every frame."""
    import av  # noqa: PLC0415

    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    with av.open(str(path)) as container:
        seconds = float(container.duration or 0) / 1_000_000
        if kind == "demux":
            for _ in container.demux():
                pass
        else:
            stream = container.streams.video[0]
            stream.thread_type, stream.thread_count = "NONE", 1
            if kind == "keyframes":
                stream.codec_context.skip_frame = "NONKEY"
            for _ in container.decode(stream):
                pass
    return _report(before, wall, seconds, parts=0, size=0)


def _report(
    before: Any, wall: float, seconds: float, *, parts: int, size: int
) -> dict[str, float]:
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "wall": time.perf_counter() - wall,
        "rss_mb": after.ru_maxrss / 1024,  # kilobytes on Linux
        "parts": parts,
        "bytes": size,
    }


def measure(task: str, path: Path) -> dict[str, float]:
    """Run one task (a strategy or a floor) in a fresh interpreter."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.video_prep", "--child", task, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    report: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def run() -> list[Result]:
    """Measure every strategy on every source; one CPU and one memory line each."""
    results = []
    for source in SOURCES:
        path = source_video(source)
        floors = {}
        for kind in FLOORS:
            report = measure(kind, path)
            floors[kind] = report["cpu"] / report["seconds"]
        floor_text = (
            f"floors: demux {floors['demux']:.3f}, keyframes "
            f"{floors['keyframes']:.3f}, every frame {floors['decode']:.3f}"
        )
        mb = path.stat().st_size / 1e6
        for strategy in STRATEGIES:
            report = measure(strategy, path)
            per_second = report["cpu"] / report["seconds"]
            label = f"video_prep {strategy}, {source.name}"
            results.append(
                Result(
                    f"{label}: CPU s per video s",
                    per_second,
                    CPU_TARGETS[strategy],
                    f"{report['cpu']:.1f} s CPU / {report['wall']:.1f} s wall for "
                    f"{report['seconds']:.0f} s ({mb:.0f} MB); "
                    f"{report['parts']:.0f} parts, {report['bytes'] / 1e6:.1f} MB; "
                    + floor_text,
                )
            )
            results.append(
                Result(
                    f"{label}: peak RSS / {RSS_TARGET_MB:.0f} MB",
                    report["rss_mb"] / RSS_TARGET_MB,
                    1.0,
                    f"{report['rss_mb']:.0f} MB peak resident",
                )
            )
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the table, or act as the measured child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("TASK", "PATH"))
    args = parser.parse_args(argv)
    if args.child:
        task, path = args.child
        work = _floor if task in FLOORS else _prepare
        print(json.dumps(work(task, Path(path))))
        return 0
    results = run()
    print(table(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
