"""The README's model tables, rendered from the profiles.

Generated so the README cannot drift from what the code enforces: a test
compares each table between its markers in the README with these functions'
output. Names that share a profile share a row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_qwen_omni.profiles import (
    DATA_URL_MAX_BYTES,
    known_models,
    self_hosted_models,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_qwen_omni.profiles import OmniModelProfile

__all__ = [
    "limits_table_markdown",
    "models_table_markdown",
    "self_hosted_table_markdown",
]

_MB = 1024 * 1024
_GB = 1024 * _MB
_HOUR = 3600.0


def _size(value: int) -> str:
    if value % _GB == 0:
        return f"{value // _GB} GB"
    return f"{value // _MB} MB" if value % _MB == 0 else f"{value:,} bytes"


def _duration(seconds: float) -> str:
    if seconds >= _HOUR and seconds % _HOUR == 0:
        return f"{seconds / _HOUR:g} h"
    if seconds >= 60 and seconds % 60 == 0:  # noqa: PLR2004
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _yes_no(value: bool) -> str:  # noqa: FBT001
    return "yes" if value else "no"


def _groups(table: Mapping[str, OmniModelProfile]) -> list[tuple[list[str], Any]]:
    """Names that share one profile, in table order."""
    groups: dict[int, tuple[list[str], OmniModelProfile]] = {}
    for name, profile in table.items():
        groups.setdefault(id(profile), ([], profile))[0].append(name)
    return list(groups.values())


def _names(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _maybe(profile: OmniModelProfile, field: str, text: str) -> str:
    return f"{text} (unconfirmed)" if profile.is_uncertain(field) else text


def _files(count: int | None, base64: int | None) -> str:
    if count is None:
        return "by tokens"
    return f"{count:,}" if base64 is None else f"{count:,} ({base64:,} base64)"


def _thinking(profile: OmniModelProfile) -> str:
    if profile.thinking == "none":
        return "no"
    controls = ", ".join(
        f"`{name}`" for name in sorted(profile.thinking_controls) if name
    )
    when = "on by default" if profile.thinking == "default" else "optional"
    return f"{when} ({controls})"


def _speech(profile: OmniModelProfile) -> str:
    if not profile.audio_output:
        return "no (text only)"
    if profile.voices_total:
        named = ", ".join(profile.voices or ())
        return (
            f"yes: {profile.voices_total} voices ({named} named), default "
            f"{profile.default_voice}"
        )
    if profile.voices:
        more = "+" if not profile.voices_complete else ""
        return (
            f"yes: {len(profile.voices)}{more} voices, default {profile.default_voice}"
        )
    return f"yes, default {profile.default_voice}"


_MODELS_COLUMNS = (
    "Model",
    "Speech",
    "Thinking",
    "Tools",
    "Media in one message",
    "Files per request: audio / video / images",
    "Tokens: context / input / output",
    "Regions",
    "Notes",
)


def models_table_markdown() -> str:
    """Render the README's "Which model?" table from the profiles.

    Generated so the README cannot drift from what the code enforces (a test
    compares the two); names that share a profile share a row.
    """
    lines = [
        "| " + " | ".join(_MODELS_COLUMNS) + " |",
        "|" + "---|" * len(_MODELS_COLUMNS),
    ]
    for names, profile in _groups(known_models()):
        tokens = _maybe(
            profile,
            "max_output_tokens",
            f"{profile.context_tokens:,} / {profile.max_input_tokens:,} / "
            f"{profile.max_output_tokens:,}",
        )
        files = " / ".join(
            (
                _files(profile.audio_files_max, profile.audio_files_max_base64),
                _files(profile.video_files_max, profile.video_files_max_base64),
                _files(profile.images_max, profile.images_max_base64),
            )
        )
        row = [
            _names(names),
            _speech(profile),
            _thinking(profile),
            _maybe(profile, "tool_calling", _yes_no(profile.tool_calling)),
            "any mix" if profile.mixed_media else "text + one kind",
            files,
            tokens,
            ", ".join(profile.regions) or "not documented",
            profile.note,
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


_LIMITS_COLUMNS = (
    "Model",
    "Image",
    "Audio file",
    "Video file",
    "Image sequence",
    "Image tokens",
    "Audio tokens per second (in / out)",
    "System prompt with speech",
)


def _limits_row(names: list[str], profile: OmniModelProfile) -> list[str]:
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
        f"{profile.video_min_seconds:g} s to {_duration(profile.video_max_seconds)}"
        if profile.video_input
        else "no"
    )
    frames = (
        f"{profile.frames_min} to {profile.frames_max:,} frames"
        if profile.video_input
        else "no"
    )
    side = round(profile.image_token_pixels**0.5)
    image_tokens = (
        f"1 per {side}x{side} px, {profile.image_tokens_min} to "
        f"{profile.image_tokens_max:,}"
    )
    if profile.image_tokens_max_high_resolution:
        image_tokens += f" ({profile.image_tokens_max_high_resolution:,} high-res)"
    out = profile.audio_output_tokens_per_second
    audio_tokens = (
        f"{profile.audio_input_tokens_per_second:g} / {f'{out:g}' if out else 'n/a'}"
    )
    if not profile.audio_output:
        system = "n/a"
    elif profile.system_with_audio_output:
        system = "yes"
    else:
        system = "ignored (merged into the first user message)"
    return [
        _names(names),
        image,
        audio,
        video,
        frames,
        image_tokens if profile.image_input else "n/a",
        audio_tokens,
        system,
    ]


def limits_table_markdown() -> str:
    """Render the README's media limits table from the profiles.

    Generated so the README cannot drift from the limits the code enforces
    (a test compares the two); names that share limits share a row.
    """
    lines = [
        "| " + " | ".join(_LIMITS_COLUMNS) + " |",
        "|" + "---|" * len(_LIMITS_COLUMNS),
    ]
    lines.extend(
        "| " + " | ".join(_limits_row(names, profile)) + " |"
        for names, profile in _groups(known_models())
    )
    lines.append("")
    lines.append(
        f"Every data URL (base64 media) is capped at {DATA_URL_MAX_BYTES:,} bytes, "
        "header included: base64 adds a third, so send files over about 7 MB by "
        "URL. At most 250 data URLs go in one request (unconfirmed: warned, not "
        "refused). Video files are sampled at 2 frames per second."
    )
    return "\n".join(lines) + "\n"


_SELF_HOSTED_COLUMNS = (
    'Model (`dialect="vllm-omni"`)',
    "Speech",
    "Thinking",
    "Tools",
    "Context (`--max-model-len`)",
    "Audio / video file",
    "Image sequence",
    "Notes",
)


def self_hosted_table_markdown() -> str:
    """Render the README's self-hosted table from the profiles (a test compares)."""
    lines = [
        "| " + " | ".join(_SELF_HOSTED_COLUMNS) + " |",
        "|" + "---|" * len(_SELF_HOSTED_COLUMNS),
    ]
    for names, profile in _groups(self_hosted_models()):
        media = (
            f"≤ {_duration(profile.audio_max_seconds)} / "
            f"≤ {_duration(profile.video_max_seconds)}"
            if profile.video_input
            else f"≤ {_duration(profile.audio_max_seconds)} / no"
        )
        frames = (
            f"{profile.frames_min} to {profile.frames_max:,} frames"
            if profile.video_input
            else "no"
        )
        row = [
            _names(names),
            _speech(profile),
            _thinking(profile).replace(" ()", ""),
            "when the server has a tool parser",
            f"{profile.context_tokens:,}",
            media,
            frames,
            profile.note,
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
