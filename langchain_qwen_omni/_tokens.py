"""Estimate a prompt's tokens by each family's published rules, offline.

No tokenizer is downloaded (model hubs are often out of reach): text is
approximated from its characters, and media count by the rules Model Studio
publishes per family: images at one token per 32x32 (or 28x28) pixel patch
within a minimum and a maximum, audio at a number of tokens per second,
video files sampled at 2 frames per second (each frame an image, capped at
the family's frame size) plus their sound. LangChain uses the count to trim
histories (`trim_messages`), so an estimate that errs high is the safe one.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni._request import Media, Text

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from langchain_qwen_omni._request import Turn
    from langchain_qwen_omni.profiles import OmniModelProfile

__all__ = ["count_tokens", "image_tokens", "media_tokens", "text_tokens"]

_TOKENS_PER_MESSAGE = 3
"""Role and separators of each message (as in OpenAI's own estimate)."""
_ASCII_CHARS_PER_TOKEN = 4
_OTHER_CHARS_PER_TOKEN = 1.5
"""Chinese and other non-ASCII text: about one and a half characters a token."""


def text_tokens(text: str) -> int:
    """Tokens of text: about 4 ASCII characters, or 1.5 others, per token."""
    if not text:
        return 0
    ascii_chars = len(text.encode("ascii", "ignore"))
    other = len(text) - ascii_chars
    return math.ceil(
        ascii_chars / _ASCII_CHARS_PER_TOKEN + other / _OTHER_CHARS_PER_TOKEN
    )


def image_tokens(
    width: int | None,
    height: int | None,
    profile: OmniModelProfile,
    *,
    high_resolution: bool = False,
    max_pixels: int | None = None,
) -> int:
    """Tokens of one image: its pixel patches, within the family's bounds.

    An image whose size is unknown (given by URL) counts at the maximum.
    """
    most = profile.image_tokens_max
    if high_resolution and profile.image_tokens_max_high_resolution:
        most = profile.image_tokens_max_high_resolution
    if max_pixels is not None:
        most = min(most, max(1, max_pixels // profile.image_token_pixels))
    if width is None or height is None:
        return most
    pixels = width * height
    if max_pixels is not None:
        pixels = min(pixels, max_pixels)
    patches = math.ceil(pixels / profile.image_token_pixels)
    return min(max(patches, profile.image_tokens_min), most)


def media_tokens(
    item: Media, profile: OmniModelProfile, *, high_resolution: bool = False
) -> int:
    """Tokens of one media item by the family's rules (0 where unmeasured)."""
    if item.frames is not None:
        return sum(
            image_tokens(
                frame.width,
                frame.height,
                profile,
                high_resolution=high_resolution,
                max_pixels=item.max_pixels or profile.video_frame_max_pixels,
            )
            for frame in item.frames
        )
    if item.kind == "image":
        return image_tokens(
            item.width, item.height, profile, high_resolution=high_resolution
        )
    if item.seconds is None:
        return 0
    sound = math.ceil(item.seconds * profile.audio_input_tokens_per_second)
    if item.kind == "audio":
        return sound
    frames = max(2, math.ceil(item.seconds * (item.fps or profile.video_fps)))
    per_frame = image_tokens(
        item.width,
        item.height,
        profile,
        max_pixels=item.max_pixels or profile.video_frame_max_pixels,
    )
    return frames * per_frame + sound


def _turn_tokens(
    turn: Turn, profile: OmniModelProfile, *, high_resolution: bool
) -> int:
    total = _TOKENS_PER_MESSAGE
    for part in turn.parts:
        if isinstance(part, Text):
            total += text_tokens(part.text)
        elif turn.role == "assistant":
            continue  # assistant media is sent as its text
        else:
            total += media_tokens(part, profile, high_resolution=high_resolution)
    for call in turn.tool_calls:
        total += text_tokens(json.dumps(call, ensure_ascii=False))
    return total


def count_tokens(
    turns: Sequence[Turn],
    profile: OmniModelProfile,
    *,
    tools: Iterable[dict[str, Any]] = (),
    high_resolution: bool = False,
) -> int:
    """Estimated prompt tokens of a conversation (and its tool schemas)."""
    total = sum(
        _turn_tokens(turn, profile, high_resolution=high_resolution) for turn in turns
    )
    total += sum(text_tokens(json.dumps(tool, ensure_ascii=False)) for tool in tools)
    return total
