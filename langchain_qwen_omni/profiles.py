"""The model table: what each Qwen-Omni model accepts and how it answers.

Limits come from Model Studio's Qwen-Omni guide (see the README's model
table). New Omni models appear often, so an unknown name never fails: it
resolves by family heuristics with a single warning, and every limit can be
overridden per model instance.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from functools import lru_cache

logger = logging.getLogger(__name__)

__all__ = [
    "DATA_URL_MAX_BYTES",
    "OmniModelProfile",
    "get_profile",
    "known_models",
]

DATA_URL_MAX_BYTES = 10_485_760
"""The API's cap on one data URL (`Exceeded limit on max bytes per data-uri item`)."""

_MB = 1024 * 1024

_FLASH_VOICES_2025_09 = (
    "Cherry",
    "Ethan",
    "Nofish",
    "Jennifer",
    "Ryan",
    "Katerina",
    "Elias",
    "Jada",
    "Dylan",
    "Sunny",
    "Li",
    "Marcus",
    "Roy",
    "Peter",
    "Rocky",
    "Kiki",
    "Eric",
)
# The 2025-12-01 snapshot adds about 32 voices; the documented additions are
# listed, and `voices=None` on a profile would disable the check entirely.
_FLASH_VOICES_2025_12 = (
    *_FLASH_VOICES_2025_09,
    "Serena",
    "Chelsie",
    "Momo",
    "Vivian",
)
_TURBO_VOICES = ("Cherry", "Serena", "Ethan", "Chelsie")
_OPEN_VOICES = ("Ethan", "Chelsie")


@dataclasses.dataclass(frozen=True)
class OmniModelProfile:
    """Limits and capabilities of one Omni model family.

    Frozen so a shared profile cannot be changed by accident: derive a
    variant with `dataclasses.replace(profile, audio_max_seconds=...)`.
    """

    family: str
    """Family name the limits belong to, e.g. `"qwen3-omni-flash"`."""
    context_tokens: int
    max_input_tokens: int
    max_output_tokens: int
    voices: tuple[str, ...] | None
    """Voices accepted for speech; `None` means any name is passed through."""
    default_voice: str | None
    """Voice used when none is given; `None` when the model cannot speak."""
    audio_output: bool = True
    system_with_audio_output: bool = True
    """False where the API ignores a system message when speech is requested."""
    thinking: bool = False
    tool_calling: bool = False
    image_input: bool = True
    audio_input: bool = True
    video_input: bool = True
    image_max_bytes: int = 10 * _MB
    image_min_side_px: int = 10
    """Width and height must be strictly greater than this."""
    image_max_aspect_ratio: float = 200.0
    audio_max_bytes: int = 100 * _MB
    audio_max_seconds: float = 20 * 60
    video_max_bytes: int = 256 * _MB
    video_max_seconds: float = 150.0
    video_min_seconds: float = 2.0
    frames_min: int = 2
    frames_max: int = 128
    data_url_max_bytes: int = DATA_URL_MAX_BYTES
    single_turn: bool = False
    """True where the model answers one user turn only (the captioner)."""


_FLASH = OmniModelProfile(
    family="qwen3-omni-flash",
    context_tokens=65_536,
    max_input_tokens=49_152,
    max_output_tokens=16_384,
    voices=_FLASH_VOICES_2025_12,
    default_voice="Cherry",
    thinking=True,
    tool_calling=True,
)
_FLASH_2025_09 = dataclasses.replace(
    _FLASH, family="qwen3-omni-flash-2025-09-15", voices=_FLASH_VOICES_2025_09
)
_TURBO = OmniModelProfile(
    family="qwen-omni-turbo",
    context_tokens=32_768,
    max_input_tokens=30_720,
    max_output_tokens=2_048,
    voices=_TURBO_VOICES,
    default_voice="Cherry",
    system_with_audio_output=False,
    audio_max_bytes=10 * _MB,
    audio_max_seconds=3 * 60,
    video_max_bytes=150 * _MB,
    video_max_seconds=40.0,
    frames_min=4,
    frames_max=80,
)
_OPEN = dataclasses.replace(
    _TURBO, family="qwen2.5-omni", voices=_OPEN_VOICES, default_voice="Ethan"
)
_CAPTIONER = OmniModelProfile(
    family="qwen3-omni-30b-a3b-captioner",
    context_tokens=65_536,
    max_input_tokens=32_768,
    max_output_tokens=32_768,
    voices=(),
    default_voice=None,
    audio_output=False,
    system_with_audio_output=False,
    image_input=False,
    video_input=False,
    single_turn=True,
)

_TABLE: dict[str, OmniModelProfile] = {
    "qwen3-omni-flash": _FLASH,
    "qwen3-omni-flash-2025-12-01": _FLASH,
    "qwen3-omni-flash-2025-09-15": _FLASH_2025_09,
    "qwen-omni-turbo": _TURBO,
    "qwen-omni-turbo-latest": _TURBO,
    "qwen-omni-turbo-2025-03-26": _TURBO,
    "qwen-omni-turbo-2025-01-19": _TURBO,
    "qwen2.5-omni-7b": _OPEN,
    "qwen2.5-omni-3b": _OPEN,
    "qwen3-omni-30b-a3b-captioner": _CAPTIONER,
}

_DATED = re.compile(r"^(?P<base>.+?)-\d{4}-\d{2}-\d{2}$")


def known_models() -> dict[str, OmniModelProfile]:
    """Return a copy of the table of documented model names."""
    return dict(_TABLE)


@lru_cache(maxsize=64)
def get_profile(model: str) -> OmniModelProfile:
    """Resolve a model name to its profile, never failing.

    Dated snapshots resolve to their family; other unknown names go by
    family heuristics (`turbo` -> turbo, `2.5-omni` -> open model, anything
    else -> flash-like) with one warning per name, since new Omni models
    appear faster than this table changes.
    """
    name = model.strip().lower()
    if name in _TABLE:
        return _TABLE[name]
    dated = _DATED.match(name)
    if dated and dated.group("base") in _TABLE:
        return _TABLE[dated.group("base")]
    if "captioner" in name:
        guess = _CAPTIONER
    elif "turbo" in name:
        guess = _TURBO
    elif "2.5-omni" in name:
        guess = _OPEN
    else:
        guess = _FLASH
    logger.warning(
        "Unknown Qwen-Omni model %r: using the limits of %s. Pass `limits=` to "
        "ChatQwenOmni to set this model's own limits.",
        model,
        guess.family,
    )
    return guess
