"""Preparing a long video for a 40 s model: CPU time and peak memory per strategy.

A generated 10-minute 1280x720 video (25 fps, stereo AAC) is prepared for
`qwen-omni-turbo` by each strategy: cut into re-encoded segments, and sampled
into JPEG frame sequences. Each strategy runs in a fresh process, which
reports its own CPU seconds (user + system, every thread) spent preparing and
its peak resident memory (`ru_maxrss`, so imports count too).

Targets: at most 0.1 CPU second per second of video (6 CPU seconds per video
minute), and a peak RSS under 500 MB.

The source video is generated once (a few minutes: mostly static frames with
a moving square, a beep every few seconds) and cached in the temp folder;
its generation is not measured.

Run: `python -m benchmarks.video_prep` or `python benchmarks/video_prep.py`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import Result, table

SECONDS = 600
WIDTH, HEIGHT, FPS = 1280, 720, 25
SAMPLE_RATE = 44_100
MODEL = "qwen-omni-turbo"
CPU_TARGET = 0.1
"""CPU seconds per second of video."""
RSS_TARGET_MB = 500.0
STRATEGIES = ("segments", "frames")
CACHE = Path(tempfile.gettempdir()) / "langchain-qwen-omni-bench"


def source_video(seconds: int = SECONDS) -> Path:
    """The cached source video, generated on first use."""
    target = CACHE / f"source-{seconds}s-{WIDTH}x{HEIGHT}-{FPS}fps.mp4"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {target} (once) ...", file=sys.stderr, flush=True)
        partial = target.with_suffix(".partial.mp4")
        _generate(partial, seconds)
        partial.rename(target)
    return target


def _generate(path: Path, seconds: int) -> None:
    """Write a cheap-to-make video: static gradient, moving square, beeps."""
    import av  # noqa: PLC0415  # heavy, only needed here
    import numpy as np  # noqa: PLC0415

    rows = np.linspace(16, 235, HEIGHT, dtype=np.uint8)[:, None]
    luma = np.repeat(rows, WIDTH, axis=1)
    chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)  # U and V planes
    side = 96
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "23", "g": str(FPS * 2)}
        audio = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        audio.bit_rate = 128_000
        for index in range(seconds * FPS):
            picture = np.concatenate([luma, chroma])
            x = (index * 8) % (WIDTH - side)
            y = (HEIGHT - side) // 2 + int(100 * np.sin(index / 20))
            picture[y : y + side, x : x + side] = 235
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
        _write_beeps(av, np, container, audio, seconds)


def _write_beeps(av: Any, np: Any, container: Any, audio: Any, seconds: int) -> None:
    """A 0.3 s tone every 5 s, silence between: quick to encode."""
    step = 1024
    t = np.arange(step, dtype=np.float32) / SAMPLE_RATE
    silence = np.zeros((2, step), dtype=np.float32)
    for start in range(0, seconds * SAMPLE_RATE, step):
        second = start / SAMPLE_RATE
        if second % 5 < 0.3:
            tone = 0.3 * np.sin(2 * np.pi * 440 * (t + second)).astype(np.float32)
            samples = np.stack([tone, tone])
        else:
            samples = silence
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        container.mux(audio.encode(frame))
    container.mux(audio.encode())


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
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": info.duration,
        "cpu": cpu,
        "wall": wall,
        "rss_mb": after.ru_maxrss / 1024,  # kilobytes on Linux
        "parts": parts,
        "bytes": size,
    }


def measure(strategy: str, path: Path) -> dict[str, float]:
    """Prepare in a fresh interpreter and return its report."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.video_prep", "--child", strategy, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    report: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def run() -> list[Result]:
    """Measure every strategy; one CPU line and one memory line each."""
    path = source_video()
    results = []
    for strategy in STRATEGIES:
        report = measure(strategy, path)
        per_second = report["cpu"] / report["seconds"]
        results.append(
            Result(
                f"video_prep {strategy}: CPU s per video s",
                per_second,
                CPU_TARGET,
                f"{per_second * 60:.2f} CPU s per video minute, {report['cpu']:.1f} s "
                f"CPU / {report['wall']:.1f} s wall for {report['seconds'] / 60:.0f} "
                f"min {WIDTH}x{HEIGHT}; {report['parts']:.0f} parts, "
                f"{report['bytes'] / 1e6:.1f} MB",
            )
        )
        results.append(
            Result(
                f"video_prep {strategy}: peak RSS / {RSS_TARGET_MB:.0f} MB",
                report["rss_mb"] / RSS_TARGET_MB,
                1.0,
                f"{report['rss_mb']:.0f} MB peak resident",
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the table, or act as the measured child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("STRATEGY", "PATH"))
    args = parser.parse_args(argv)
    if args.child:
        strategy, path = args.child
        print(json.dumps(_prepare(strategy, Path(path))))
        return 0
    results = run()
    print(table(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
