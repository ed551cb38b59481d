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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_core.language_models import ModelProfile

logger = logging.getLogger(__name__)

__all__ = [
    "DATA_URL_MAX_BYTES",
    "OmniModelProfile",
    "get_profile",
    "known_models",
    "limits_table_markdown",
    "resolve_profile",
    "to_model_profile",
    "validate_overrides",
    "with_overrides",
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
# The 2025-12-01 snapshot adds about 32 voices; only the documented additions
# are listed, so that profile sets `voices_complete=False`: other names are
# sent with a warning instead of refused.
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
    variant with `dataclasses.replace(profile, audio_max_seconds=...)`, or
    pass `limits={"audio_max_seconds": ...}` to `ChatQwenOmni`.
    """

    family: str
    """Family name the limits belong to, e.g. `"qwen3-omni-flash"`."""
    context_tokens: int
    """Context window: input and output together."""
    max_input_tokens: int
    """Largest prompt, in the default (non-thinking) mode."""
    max_output_tokens: int
    """Largest answer; also the upper bound of `max_tokens`."""
    voices: tuple[str, ...] | None
    """Voices accepted for speech; `None` means any name is passed through."""
    default_voice: str | None
    """Voice used when none is given; `None` when the model cannot speak."""
    voices_complete: bool = True
    """False when `voices` lists only the documented names of a larger set: an
    unlisted voice is then sent with a warning instead of refused."""
    audio_output: bool = True
    """Whether the model can speak (`modalities=["text", "audio"]`)."""
    system_message: bool = True
    """False where the model takes no system message at all (the captioner)."""
    system_with_audio_output: bool = True
    """False where the API ignores a system message when speech is requested."""
    thinking: bool = False
    """Whether `enable_thinking=True` is available."""
    thinking_max_input_tokens: int | None = None
    """Largest prompt in thinking mode, where it differs from the default."""
    max_reasoning_tokens: int | None = None
    """Largest chain of thought in thinking mode."""
    tool_calling: bool = False
    """Whether the model calls tools."""
    open_weights: bool = False
    """Whether the weights are published (Qwen2.5-Omni)."""
    image_input: bool = True
    audio_input: bool = True
    video_input: bool = True
    image_max_bytes: int = 10 * _MB
    """Largest image file."""
    image_min_side_px: int = 10
    """Width and height must be strictly greater than this."""
    image_max_aspect_ratio: float = 200.0
    """Longest side over shortest side, at most."""
    audio_max_bytes: int = 100 * _MB
    """Largest audio file."""
    audio_max_seconds: float = 20 * 60
    """Longest audio file."""
    video_max_bytes: int = 256 * _MB
    """Largest video file (`video_url`)."""
    video_max_seconds: float = 150.0
    """Longest video file."""
    video_min_seconds: float = 2.0
    """Shortest video file."""
    frames_min: int = 2
    """Fewest images in an image sequence (`{"type": "video", "video": [...]}`)."""
    frames_max: int = 128
    """Most images in an image sequence; more are evenly subsampled."""
    data_url_max_bytes: int = DATA_URL_MAX_BYTES
    """Longest data URL, header included; larger media must go by URL."""
    single_turn: bool = False
    """True where the model answers one user turn only (the captioner)."""


_FLASH = OmniModelProfile(
    family="qwen3-omni-flash",
    context_tokens=65_536,
    max_input_tokens=49_152,
    max_output_tokens=16_384,
    voices=_FLASH_VOICES_2025_12,
    default_voice="Cherry",
    voices_complete=False,
    thinking=True,
    thinking_max_input_tokens=16_384,
    max_reasoning_tokens=32_768,
    tool_calling=True,
)
_FLASH_2025_09 = dataclasses.replace(
    _FLASH,
    family="qwen3-omni-flash-2025-09-15",
    voices=_FLASH_VOICES_2025_09,
    voices_complete=True,
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
    _TURBO,
    family="qwen2.5-omni",
    voices=_OPEN_VOICES,
    default_voice="Ethan",
    open_weights=True,
)
_CAPTIONER = OmniModelProfile(
    family="qwen3-omni-30b-a3b-captioner",
    context_tokens=65_536,
    max_input_tokens=32_768,
    max_output_tokens=32_768,
    voices=(),
    default_voice=None,
    audio_output=False,
    system_message=False,
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


def validate_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Check limit overrides by name and normalize them (voice lists to tuples).

    Raises:
        ValueError: A key is not an `OmniModelProfile` field; the message lists
            the valid ones, since a typo would otherwise be ignored silently.
    """
    fields = {field.name for field in dataclasses.fields(OmniModelProfile)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        msg = (
            f"Unknown model limit(s) {', '.join(map(repr, unknown))}. "
            f"Valid names (OmniModelProfile fields): {', '.join(sorted(fields))}."
        )
        raise ValueError(msg)
    changes = dict(overrides)
    if isinstance(changes.get("voices"), list):
        changes["voices"] = tuple(changes["voices"])
    return changes


def with_overrides(
    profile: OmniModelProfile, overrides: Mapping[str, Any]
) -> OmniModelProfile:
    """Return `profile` with some fields replaced, for models newer than the table."""
    return dataclasses.replace(profile, **validate_overrides(overrides))


def resolve_profile(
    model: str, limits: Mapping[str, Any] | OmniModelProfile | None = None
) -> OmniModelProfile:
    """The effective profile of a model: the table's, then the user's `limits`.

    A whole `OmniModelProfile` replaces the table's entry (no warning for an
    unknown name, since the user described the model); a mapping overrides
    some fields of it.
    """
    if isinstance(limits, OmniModelProfile):
        return limits
    profile = get_profile(model)
    return with_overrides(profile, limits) if limits else profile


def to_model_profile(profile: OmniModelProfile) -> ModelProfile:
    """Translate a profile to LangChain's standard `ModelProfile`.

    LangChain reads this (`model.profile`) to pick strategies, e.g. how much
    history fits; the finer media limits stay in `OmniModelProfile`.
    """
    result: ModelProfile = {
        "max_input_tokens": profile.max_input_tokens,
        "max_output_tokens": profile.max_output_tokens,
        "open_weights": profile.open_weights,
        "text_inputs": True,
        "image_inputs": profile.image_input,
        "image_url_inputs": profile.image_input,
        "audio_inputs": profile.audio_input,
        "video_inputs": profile.video_input,
        "pdf_inputs": False,
        "image_tool_message": False,
        "pdf_tool_message": False,
        "text_outputs": True,
        "audio_outputs": profile.audio_output,
        "image_outputs": False,
        "video_outputs": False,
        "reasoning_output": profile.thinking,
        "tool_calling": profile.tool_calling,
        "temperature": True,
    }
    return result


# --- the README's limits table ---------------------------------------------------

_COLUMNS = (
    "Model",
    "Tokens: context / input / output",
    "Image",
    "Audio file",
    "Video file",
    "Image sequence",
    "Voices",
    "System prompt with speech",
    "Thinking",
    "Tools",
    "Notes",
)


def _size(value: int) -> str:
    return f"{value // _MB} MB" if value % _MB == 0 else f"{value:,} bytes"


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:  # noqa: PLR2004
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _yes_no(value: bool) -> str:  # noqa: FBT001
    return "yes" if value else "no"


def _row(names: list[str], profile: OmniModelProfile) -> list[str]:
    image = (
        f"≤ {_size(profile.image_max_bytes)}, sides > {profile.image_min_side_px} px, "
        f"ratio ≤ {profile.image_max_aspect_ratio:g}:1"
        if profile.image_input
        else "no"
    )
    audio = (
        f"≤ {_size(profile.audio_max_bytes)}, ≤ {_duration(profile.audio_max_seconds)}"
        if profile.audio_input
        else "no"
    )
    video = (
        f"≤ {_size(profile.video_max_bytes)}, "
        f"{profile.video_min_seconds:g} to {_duration(profile.video_max_seconds)}"
        if profile.video_input
        else "no"
    )
    frames = (
        f"{profile.frames_min} to {profile.frames_max} frames"
        if profile.video_input
        else "no"
    )
    if profile.audio_output and profile.voices:
        more = "" if profile.voices_complete else "+"
        voices = f"{len(profile.voices)}{more}, default {profile.default_voice}"
    elif profile.audio_output:
        voices = f"any, default {profile.default_voice}"
    else:
        voices = "none (text out only)"
    if not profile.audio_output:
        system = "n/a"
    elif profile.system_with_audio_output:
        system = "yes"
    else:
        system = "ignored (merged into the first user message)"
    thinking = _yes_no(profile.thinking)
    if profile.thinking_max_input_tokens and profile.max_reasoning_tokens:
        thinking += (
            f" (input {profile.thinking_max_input_tokens:,}, "
            f"reasoning {profile.max_reasoning_tokens:,})"
        )
    notes = [
        *(["audio input only"] if not profile.image_input else []),
        *(["single turn"] if profile.single_turn else []),
        *(["no system prompt"] if not profile.system_message else []),
        *(["open weights"] if profile.open_weights else []),
        *(["more voices than listed"] if not profile.voices_complete else []),
    ]
    tokens = (
        f"{profile.context_tokens:,} / {profile.max_input_tokens:,} / "
        f"{profile.max_output_tokens:,}"
    )
    return [
        ", ".join(f"`{name}`" for name in names),
        tokens,
        image,
        audio,
        video,
        frames,
        voices,
        system,
        thinking,
        _yes_no(profile.tool_calling),
        "; ".join(notes),
    ]


def limits_table_markdown() -> str:
    """Render the model table as the Markdown table in the README.

    Generated so the README cannot drift from the limits the code enforces
    (a test compares the two); names that share limits share a row.
    """
    groups: dict[int, tuple[list[str], OmniModelProfile]] = {}
    for name, profile in _TABLE.items():
        groups.setdefault(id(profile), ([], profile))[0].append(name)
    lines = [
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    lines.extend(
        "| " + " | ".join(_row(names, profile)) + " |"
        for names, profile in groups.values()
    )
    caps = {profile.data_url_max_bytes for profile in _TABLE.values()}
    lines.append("")
    lines.append(
        f"Every data URL (base64 media) is capped at {max(caps):,} bytes, header "
        "included: base64 adds a third, so send files over about 7 MB by URL."
    )
    return "\n".join(lines) + "\n"
