"""Settings of the emulator that tests and benchmarks change at runtime."""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

from langchain_qwen_omni.emulator.faults import FaultPlan
from langchain_qwen_omni.emulator.script import Script
from langchain_qwen_omni.emulator.vllm_facts import (
    VllmServerOptions,
    check_vllm_options,
)

__all__ = ["EmulatorOptions"]

TranscriptMode = Literal["content", "transcript", "mixed"]
Dialect = Literal["dashscope", "vllm-omni"]


@dataclasses.dataclass
class EmulatorOptions:
    """How the emulator answers; read afresh at the start of every request.

    Mutable on purpose: a running `OmniEmulator` shares one instance with its
    app, so `emu.options.chunk_delay = 0.05` takes effect on the next request
    without a restart. Each request works on a shallow copy, so a change never
    affects a stream that is already under way.
    """

    transcript_mode: TranscriptMode = "content"
    """Where an audio answer's text goes: `delta.content` (flash and newer),
    `delta.audio.transcript` (older turbo samples), or `"mixed"`: pieces take
    turns between the two, so the text is whole only when a client joins both
    placements in order (the 3.5 sample handles audio deltas holding only a
    transcript). Text-only answers always use `delta.content`."""
    answer: str | None = None
    """Fixed answer text; `None` describes the request instead."""
    audio_piece_sizes: tuple[int, ...] = (3201, 4799, 4000)
    """Byte sizes of the PCM pieces, cycled. Odd sizes and sizes not divisible
    by 3 make padded base64 and samples split across pieces, as clients must
    expect."""
    unpadded_audio: bool = False
    """Send each audio piece's base64 without its `=` padding, as the official
    samples (which join all pieces, then decode once) suggest real pieces are;
    clients must still decode every piece on its own."""
    speech_seconds_per_char: float = 0.03
    """Speech length per character of answer text."""
    min_speech_seconds: float = 0.5
    """Shortest speech produced, so even an empty answer is audible."""
    max_speech_seconds: float = 10.0
    """Cap on speech length, which keeps long answers cheap."""
    chunk_delay: float = 0.0
    """Seconds slept between SSE events (without blocking the server loop)."""
    cut_after_events: int | None = None
    """Abort the connection after this many SSE events, leaving the chunked
    body unfinished; `None` streams to the end."""
    text_pieces: int | None = None
    """How many deltas the text is split into; `None` means one per word."""
    dialect: Dialect = "dashscope"
    """Whose server to play: DashScope's compatible mode, or a self-hosted
    `vllm serve <weights> --omni` (`"vllm-omni"`, base URL `.../v1`), whose
    release and start-up flags `vllm` describes."""
    vllm: VllmServerOptions = dataclasses.field(default_factory=VllmServerOptions)
    """The vLLM-Omni server's settings, read in the `"vllm-omni"` dialect."""
    faults: FaultPlan = dataclasses.field(
        default_factory=FaultPlan, compare=False, repr=False
    )
    """Faults queued for the next requests (`OmniEmulator.inject`); shared,
    not copied, by each request's copy of the options, so a fault is used once."""
    script: Script = dataclasses.field(
        default_factory=Script, compare=False, repr=False
    )
    """Scripted answers for the next requests (`OmniEmulator(script=...)`,
    `OmniEmulator.enqueue`); shared like `faults`, so each answer is used once."""

    def __post_init__(self) -> None:
        """Reject settings that cannot produce a stream."""
        check_options(self)


def check_options(options: EmulatorOptions) -> None:
    """Raise `ValueError` for settings that cannot produce a valid stream.

    A `script` that is not a `Script` raises `TypeError`.

    Separate from `__post_init__` so that runtime changes made through
    `OmniEmulator.configure` are checked too.
    """
    if options.dialect not in ("dashscope", "vllm-omni"):
        msg = f"dialect must be 'dashscope' or 'vllm-omni', got {options.dialect!r}"
        raise ValueError(msg)
    if not isinstance(options.vllm, VllmServerOptions):
        msg = f"vllm must be VllmServerOptions, got {type(options.vllm).__name__}"
        raise TypeError(msg)
    check_vllm_options(options.vllm)
    if not isinstance(options.script, Script):
        got = type(options.script).__name__
        msg = (
            f"script must be a Script, got {got}: pass answers as "
            "OmniEmulator(script=[...]) or queue them with emu.enqueue(...)"
        )
        raise TypeError(msg)
    if options.transcript_mode not in ("content", "transcript", "mixed"):
        mode = options.transcript_mode
        msg = (
            f"transcript_mode must be 'content', 'transcript' or 'mixed', got {mode!r}"
        )
        raise ValueError(msg)
    if not options.audio_piece_sizes or any(
        size <= 0 for size in options.audio_piece_sizes
    ):
        sizes = options.audio_piece_sizes
        msg = f"audio_piece_sizes must be positive sizes, got {sizes!r}"
        raise ValueError(msg)
    if options.text_pieces is not None and options.text_pieces < 1:
        msg = f"text_pieces must be at least 1 or None, got {options.text_pieces!r}"
        raise ValueError(msg)
    if options.cut_after_events is not None and options.cut_after_events < 0:
        msg = f"cut_after_events must be >= 0 or None, got {options.cut_after_events!r}"
        raise ValueError(msg)
    if not 0 <= options.chunk_delay < math.inf:  # NaN fails too
        msg = f"chunk_delay must be a finite number >= 0, got {options.chunk_delay!r}"
        raise ValueError(msg)
    speech = (
        options.speech_seconds_per_char,
        options.min_speech_seconds,
        options.max_speech_seconds,
    )
    if not all(0 <= seconds < math.inf for seconds in speech):
        msg = "speech lengths must be finite numbers >= 0"
        raise ValueError(msg)
