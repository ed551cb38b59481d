"""Run the emulator in the foreground: `python -m langchain_qwen_omni.emulator`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from langchain_qwen_omni.emulator.server import serve

if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m langchain_qwen_omni.emulator",
        description="Serve a local Qwen-Omni compatible API for development and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0: any free)")
    parser.add_argument(
        "--transcript-mode",
        choices=["content", "transcript", "mixed"],
        default="content",
        help="where the text of a spoken answer goes: delta.content, "
        "delta.audio.transcript, or mixed (pieces take turns between the two)",
    )
    parser.add_argument(
        "--unpadded-audio",
        action="store_true",
        help="send audio pieces' base64 without '=' padding",
    )
    parser.add_argument("--answer", default=None, help="fixed answer text")
    parser.add_argument(
        "--chunk-delay", type=float, default=0.0, help="seconds between SSE events"
    )
    parser.add_argument(
        "--text-pieces",
        type=int,
        default=None,
        help="split the answer text into this many deltas (default: one per word)",
    )
    parser.add_argument(
        "--dialect",
        choices=["dashscope", "vllm-omni"],
        default="dashscope",
        help="whose server to play: DashScope's compatible mode, or a self-hosted "
        "vLLM-Omni server (base URL .../v1)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        log_level=args.log_level,
        transcript_mode=args.transcript_mode,
        unpadded_audio=args.unpadded_audio,
        answer=args.answer,
        chunk_delay=args.chunk_delay,
        text_pieces=args.text_pieces,
        dialect=args.dialect,
    )


if __name__ == "__main__":
    main()
