"""Event-loop stall: a 1 ms ticker while `ainvoke` prepares a 7 MB local image.

Reading the file and base64-encoding it must happen off the event loop; the
longest gap between ticks shows whether anything blocked it. The emulator runs
in its own process, so parsing the large request body there cannot hold this
process's GIL.

Run: `python -m benchmarks.stall`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_core.messages import HumanMessage

from benchmarks._timing import Result, table
from langchain_qwen_omni import ChatQwenOmni, image_block
from langchain_qwen_omni.emulator import emulator_process

TARGET_MS = 20.0


def _noise_png(path: Path, megabytes: float) -> Path:
    """An incompressible PNG of about `megabytes` MB."""
    from PIL import Image  # noqa: PLC0415

    side = int((megabytes * 1e6 / 3) ** 0.5)
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, compress_level=0)
    return path


async def _longest_gap(model: ChatQwenOmni, image: Path) -> float:
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    message = HumanMessage(
        content_blocks=[{"type": "text", "text": "Describe it."}, image_block(image)]
    )
    await model.ainvoke([message])
    done.set()
    await task
    return max(gaps) * 1000


async def _worst_gap(model: ChatQwenOmni, image: Path, rounds: int) -> float:
    """One event loop for all rounds: the async client belongs to its loop."""
    return max([await _longest_gap(model, image) for _ in range(rounds)])


def run(rounds: int = 3) -> list[Result]:
    """Longest ticker gap in ms over a few `ainvoke` calls."""
    with tempfile.TemporaryDirectory() as folder:
        image = _noise_png(Path(folder) / "noise.png", 7.0)
        size = image.stat().st_size
        with emulator_process() as base_url:
            model = ChatQwenOmni(base_url=base_url, api_key="bench")
            cold = asyncio.run(_worst_gap(model, image, 1))
            model = ChatQwenOmni(base_url=base_url, api_key="bench")
            worst = asyncio.run(_worst_gap(model, image, rounds))
    return [
        Result(
            "event-loop stall, ms (7 MB local image)",
            worst,
            TARGET_MS,
            f"longest 1 ms-ticker gap over {rounds} ainvoke calls of a "
            f"{size / 1e6:.1f} MB PNG; first call in the process: {cold:.0f} ms",
        )
    ]


if __name__ == "__main__":
    print(table(run()))
