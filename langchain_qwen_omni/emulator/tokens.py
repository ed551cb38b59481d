"""Token counts of a request and an answer, from the family's published rules.

Media tokens follow the facts doc: an image costs one token per N x N pixels,
clamped to the family's minimum and maximum; audio costs a fixed number of
tokens per second (in and out); a video file is sampled at 2 frames a second,
each frame counted like an image (capped per frame where documented); an
image sequence counts each of its frames. Only inline media can be measured
(remote URLs are not fetched), so remote media count no tokens here. Text is
approximated at four characters a token, plus three per message.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from langchain_qwen_omni.emulator.measure import DataUrlError, measure

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator.facts import FamilyFacts, MediaKind, TokenRules
    from langchain_qwen_omni.emulator.measure import Measured
    from langchain_qwen_omni.emulator.wire import MediaRef, WireRequest

__all__ = [
    "CHARS_PER_TOKEN",
    "TOKENS_PER_MESSAGE",
    "audio_tokens",
    "frame_tokens",
    "image_tokens",
    "prompt_tokens",
    "text_tokens",
    "video_tokens",
]

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
_DETAIL_OF_KIND = {
    "image": "image_tokens",
    "audio": "audio_tokens",
    "video": "video_tokens",
}


def text_tokens(text: str) -> int:
    """Approximate tokens of a text: one per four characters, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def image_tokens(
    width: int, height: int, rules: TokenRules, *, high_resolution: bool = False
) -> int:
    """Tokens of one image: one per N x N pixels, within the family's bounds."""
    side = rules.image_pixels_per_token
    tokens = math.ceil(width / side) * math.ceil(height / side)
    top = rules.image_max_tokens
    if high_resolution and rules.image_max_tokens_high_resolution is not None:
        top = rules.image_max_tokens_high_resolution
    return min(max(tokens, rules.image_min_tokens), top)


def frame_tokens(width: int, height: int, rules: TokenRules) -> int:
    """Tokens of one video frame: an image, capped per frame where documented."""
    tokens = image_tokens(width, height, rules)
    cap = rules.video_frame_max_tokens
    return tokens if cap is None else min(tokens, cap)


def video_tokens(seconds: float, width: int, height: int, rules: TokenRules) -> int:
    """Tokens of a video file: its frames sampled at the family's rate."""
    frames = max(1, math.ceil(seconds * rules.video_fps))
    return frames * frame_tokens(width, height, rules)


def audio_tokens(seconds: float, per_second: float) -> int:
    """Tokens of audio at a rate per second, rounded up."""
    return math.ceil(seconds * per_second)


def _measured(ref: MediaRef) -> Measured | None:
    try:
        return measure(ref)
    except DataUrlError:
        return None


def _media_tokens(ref: MediaRef, facts: FamilyFacts, *, high_resolution: bool) -> int:
    """Tokens of one inline medium; 0 for what cannot be measured."""
    measured = _measured(ref)
    rules = facts.tokens
    if measured is None:
        return 0
    if ref.kind == "audio":
        seconds = measured.seconds
        rate = rules.audio_input_per_second
        return 0 if seconds is None else audio_tokens(seconds, rate)
    if measured.width is None or measured.height is None:
        return 0
    size = (measured.width, measured.height)
    if ref.part_type == "video":  # a frame of an image sequence
        return frame_tokens(*size, rules)
    if ref.kind == "image":
        return image_tokens(*size, rules, high_resolution=high_resolution)
    seconds = measured.seconds or 0.0
    return video_tokens(seconds, *size, rules) if seconds else 0


def prompt_tokens(
    request: WireRequest, facts: FamilyFacts, *, high_resolution: bool = False
) -> dict[str, int]:
    """`prompt_tokens_details` of a request: text, and each media kind it holds.

    Image sequences count as video, as the API reports them.
    """
    details = {
        "text_tokens": sum(
            text_tokens(m.text) + TOKENS_PER_MESSAGE for m in request.messages
        )
    }
    for ref in request.media():
        kind: MediaKind = "video" if ref.part_type == "video" else ref.kind
        key = _DETAIL_OF_KIND[kind]
        tokens = _media_tokens(ref, facts, high_resolution=high_resolution)
        details[key] = details.get(key, 0) + tokens
    return details
