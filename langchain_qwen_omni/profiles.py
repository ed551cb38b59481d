"""The model table: what each Qwen-Omni family accepts and how it answers.

Every value comes from the API facts as Model Studio documents them (revised
December 2026). Facts the documentation gives only once, by inference or by
a single third-party report are listed in a profile's `uncertain` set: the
rules then warn once and let the API judge, instead of refusing. New Omni
models appear often, so an unknown name never fails: a name of a known
family (`qwen3.5-omni-*`, a dated snapshot) resolves to that family, any
other name to the closest family with one warning, and every limit can be
overridden per model instance (`limits=`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_core.language_models import ModelProfile

logger = logging.getLogger(__name__)

__all__ = [
    "DATA_URL_MAX_BYTES",
    "DIALECTS",
    "SELF_HOSTED_DATA_URL_MAX_BYTES",
    "THINKING_CONTROLS",
    "Dialect",
    "OmniModelProfile",
    "ThinkingMode",
    "get_profile",
    "is_realtime_model",
    "known_models",
    "resolve_profile",
    "self_hosted_models",
    "to_model_profile",
    "validate_overrides",
    "with_overrides",
]

DATA_URL_MAX_BYTES = 10_485_760
"""The API's cap on one data URL (`Exceeded limit on max bytes per data-uri item`)."""

SELF_HOSTED_DATA_URL_MAX_BYTES = 1024 * 1024 * 1024
"""The package's own ceiling on one data URL sent to a self-hosted server.

vLLM enforces no such cap; past this size a JSON body takes seconds to
encode and parse and a URL the server fetches is the better road."""

Dialect = Literal["dashscope", "vllm-omni"]
"""Whose wire a `ChatQwenOmni` speaks: Model Studio's, or vLLM-Omni's."""
DIALECTS: tuple[Dialect, ...] = ("dashscope", "vllm-omni")

ThinkingMode = Literal["none", "optional", "default"]
"""No thinking; thinking when asked (`enable_thinking=True`); thinking unless
turned off."""

THINKING_CONTROLS = frozenset(
    {"enable_thinking", "thinking_budget", "reasoning_effort", "preserve_thinking"}
)
"""Request parameters that steer thinking; each family takes some of them."""

_MB = 1024 * 1024
_GB = 1024 * _MB
_HOUR = 3600.0

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
_FLASH_VOICES_2025_12 = (
    "Cherry",
    "Serena",
    "Ethan",
    "Chelsie",
    "Momo",
    "Vivian",
    "Moon",
    "Maia",
    "Kai",
    "Nofish",
    "Bella",
    "Jennifer",
    "Ryan",
    "Katerina",
    "Aiden",
    "Eldric Sage",
    "Mia",
    "Mochi",
    "Bellona",
    "Vincent",
    "Bunny",
    "Neil",
    "Elias",
    "Arthur",
    "Nini",
    "Ebona",
    "Seren",
    "Pip",
    "Stella",
    "Bodega",
    "Sonrisa",
    "Alek",
    "Dolce",
    "Sohee",
    "Ono Anna",
    "Lenn",
    "Emilien",
    "Andre",
    "Radio Gol",
    "Jada",
    "Dylan",
    "Li",
    "Marcus",
    "Roy",
    "Peter",
    "Sunny",
    "Eric",
    "Rocky",
    "Kiki",
)
_TURBO_VOICES = ("Cherry", "Serena", "Ethan", "Chelsie")
_OPEN_VOICES = ("Ethan", "Chelsie")
_SELF_HOSTED_VOICES = ("Ethan", "Chelsie", "Aiden")
"""vLLM-Omni's speakers for the Qwen3-Omni weights (Qwen2.5-Omni has two)."""

_INTL_AND_CN = ("Singapore", "Beijing")


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
    """False when `voices` lists only the documented names of a larger set (or
    the documentation conflicts): an unlisted voice is then sent with a
    warning instead of refused."""
    voices_total: int | None = None
    """How many voices the family has, where more exist than are named."""
    min_max_tokens: int = 1
    """Smallest `max_tokens` the API takes."""
    audio_output: bool = True
    """Whether the model can speak (`modalities=["text", "audio"]`)."""
    system_message: bool = True
    """False where the model takes no system message at all (the captioner)."""
    system_with_audio_output: bool = True
    """False where the API ignores a system message when speech is requested."""
    thinking: ThinkingMode = "none"
    """Whether the model thinks: never, when asked, or unless turned off."""
    thinking_controls: frozenset[str] = frozenset()
    """Which of `THINKING_CONTROLS` the family takes."""
    thinking_max_input_tokens: int | None = None
    """Largest prompt in thinking mode, where it differs from the default."""
    max_reasoning_tokens: int | None = None
    """Largest chain of thought in thinking mode."""
    tool_calling: bool = False
    """Whether the model calls tools."""
    web_search: bool = False
    """Whether `enable_search` / `search_options` are available."""
    high_resolution_images: bool = False
    """Whether `vl_high_resolution_images` is available."""
    open_weights: bool = False
    """Whether the weights are published (Qwen2.5-Omni)."""
    api_model: bool = True
    """False for models served only by your own vLLM-Omni, not by Model Studio."""
    image_input: bool = True
    audio_input: bool = True
    video_input: bool = True
    mixed_media: bool = False
    """Whether one user message may hold several kinds of media; where it may
    not, a mixed message is split into one message per kind."""
    audio_files_max: int | None = 1
    """Audio files per request; `None` when bounded by tokens only."""
    audio_files_max_base64: int | None = None
    """Of those, how many may be inline (base64); `None`: no separate cap."""
    video_files_max: int | None = 1
    """Video files (not image sequences) per request."""
    video_files_max_base64: int | None = None
    """Of those, how many may be inline (base64)."""
    images_max: int | None = None
    """Images per request; `None` when bounded by tokens only."""
    images_max_base64: int | None = None
    """Of those, how many may be inline (base64)."""
    data_urls_max: int | None = 250
    """Data URLs (base64 items, frames included) per request."""
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
    image_token_pixels: int = 32 * 32
    """Pixels per image token (one token per 32x32 or 28x28 patch)."""
    image_tokens_min: int = 4
    """Fewest tokens an image costs."""
    image_tokens_max: int = 1_280
    """Most tokens an image costs (larger images are scaled down)."""
    image_tokens_max_high_resolution: int | None = None
    """Most tokens with `vl_high_resolution_images=True`."""
    audio_input_tokens_per_second: float = 12.5
    """Tokens per second of input audio."""
    audio_output_tokens_per_second: float | None = 12.5
    """Tokens per second of spoken answer; `None` without speech."""
    video_fps: float = 2.0
    """Frames per second the API samples from a video file."""
    video_frame_max_pixels: int | None = None
    """Largest frame the API keeps, in pixels (frames are scaled down to it)."""
    regions: tuple[str, ...] = ()
    """Regions that serve the family (empty when not documented)."""
    max_model_len: int | None = None
    """Self-hosted: the server's `--max-model-len`, which bounds prompt plus
    answer. Overriding it (`limits={"max_model_len": 32768}`) lowers the
    context, prompt and answer limits to it."""
    note: str = ""
    """What a user choosing a model should know (e.g. "no longer updated")."""
    uncertain: frozenset[str] = frozenset()
    """Fields whose values the documentation does not settle: breaking them
    warns once instead of refusing."""

    @property
    def speaks(self) -> bool:
        """Whether spoken answers can be requested."""
        return self.audio_output

    def is_uncertain(self, field: str) -> bool:
        """Whether `field` is a fact to warn about rather than enforce."""
        return field in self.uncertain


_MANY_FILES: dict[str, Any] = {
    "mixed_media": True,
    "audio_files_max": 2_048,
    "audio_files_max_base64": 250,
    "images_max": 2_048,
    "images_max_base64": 250,
    "image_max_bytes": 20 * _MB,
    "audio_max_bytes": 2 * _GB,
    "audio_max_seconds": 3 * _HOUR,
    "video_max_bytes": 2 * _GB,
    "frames_max": 2_048,
    "image_tokens_min": 24,
    "image_tokens_max_high_resolution": 16_384,
    "audio_input_tokens_per_second": 7.0,
    "video_frame_max_pixels": 640 * 32 * 32,
    "high_resolution_images": True,
    "web_search": True,
}
"""What Qwen3.5-Omni and qwen3.8-omni-flash share: any mix of media, many files."""

_OMNI_3_8 = OmniModelProfile(
    family="qwen3.8-omni-flash",
    context_tokens=1_000_000,
    max_input_tokens=991_808,
    max_output_tokens=131_072,
    thinking_max_input_tokens=983_616,
    voices=(),
    default_voice=None,
    audio_output=False,
    audio_output_tokens_per_second=None,
    thinking="default",
    thinking_controls=THINKING_CONTROLS,
    tool_calling=True,
    video_files_max=64,
    video_max_seconds=2 * _HOUR,
    regions=("Beijing", "Singapore", "Hong Kong", "Tokyo", "Frankfurt", "Virginia"),
    note="text answers only; thinks by default; recommended for analysing media",
    **_MANY_FILES,
)
_OMNI_3_5_PLUS = OmniModelProfile(
    family="qwen3.5-omni-plus",
    context_tokens=262_144,
    max_input_tokens=196_608,
    max_output_tokens=65_536,
    voices=("Tina",),
    default_voice="Tina",
    voices_complete=False,
    voices_total=55,
    tool_calling=True,
    video_files_max=512,
    video_files_max_base64=250,
    video_max_seconds=_HOUR,
    regions=_INTL_AND_CN,
    note="recommended for spoken answers",
    uncertain=frozenset(
        {"context_tokens", "max_input_tokens", "max_output_tokens", "tool_calling"}
    ),
    **_MANY_FILES,
)
_OMNI_3_5_FLASH = dataclasses.replace(_OMNI_3_5_PLUS, family="qwen3.5-omni-flash")
"""Its token limits are not published: the plus family's stand in, unenforced."""
_FLASH = OmniModelProfile(
    family="qwen3-omni-flash",
    context_tokens=65_536,
    max_input_tokens=49_152,
    max_output_tokens=16_384,
    voices=_FLASH_VOICES_2025_12,
    default_voice="Cherry",
    voices_complete=False,
    thinking="optional",
    thinking_controls=frozenset({"enable_thinking", "thinking_budget"}),
    thinking_max_input_tokens=16_384,
    max_reasoning_tokens=32_768,
    tool_calling=True,
    regions=_INTL_AND_CN,
    note="the alias takes the 2025-12-01 voices; the docs conflict, so others warn",
)
_FLASH_2025_12 = dataclasses.replace(
    _FLASH, family="qwen3-omni-flash-2025-12-01", voices_complete=True, note=""
)
_FLASH_2025_09 = dataclasses.replace(
    _FLASH,
    family="qwen3-omni-flash-2025-09-15",
    voices=_FLASH_VOICES_2025_09,
    voices_complete=True,
    note="",
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
    image_token_pixels=28 * 28,
    audio_input_tokens_per_second=25.0,
    audio_output_tokens_per_second=25.0,
    note="no longer updated; Chinese and English speech",
)
_OPEN = dataclasses.replace(
    _TURBO,
    family="qwen2.5-omni-7b",
    voices=_OPEN_VOICES,
    default_voice="Ethan",
    min_max_tokens=10,
    open_weights=True,
    note="the open model, served by the API",
    uncertain=frozenset({"min_max_tokens"}),
)
_CAPTIONER = OmniModelProfile(
    family="qwen3-omni-30b-a3b-captioner",
    context_tokens=65_536,
    max_input_tokens=32_768,
    max_output_tokens=32_768,
    voices=(),
    default_voice=None,
    audio_output=False,
    audio_output_tokens_per_second=None,
    system_message=False,
    system_with_audio_output=False,
    image_input=False,
    video_input=False,
    single_turn=True,
    regions=_INTL_AND_CN,
    note="describes one audio file; no system prompt; single turn",
)

_TABLE: dict[str, OmniModelProfile] = {
    "qwen3.8-omni-flash": _OMNI_3_8,
    "qwen3.5-omni-plus": _OMNI_3_5_PLUS,
    "qwen3.5-omni-plus-2026-03-15": _OMNI_3_5_PLUS,
    "qwen3.5-omni-flash": _OMNI_3_5_FLASH,
    "qwen3.5-omni-flash-2026-03-15": _OMNI_3_5_FLASH,
    "qwen3-omni-flash": _FLASH,
    "qwen3-omni-flash-2025-12-01": _FLASH_2025_12,
    "qwen3-omni-flash-2025-09-15": _FLASH_2025_09,
    "qwen-omni-turbo": _TURBO,
    "qwen-omni-turbo-latest": _TURBO,
    "qwen-omni-turbo-2025-03-26": _TURBO,
    "qwen-omni-turbo-2025-01-19": _TURBO,
    "qwen2.5-omni-7b": _OPEN,
    "qwen3-omni-30b-a3b-captioner": _CAPTIONER,
}

_SELF_HOSTED_DEFAULTS: dict[str, Any] = {
    "voices": _SELF_HOSTED_VOICES,
    "default_voice": "Ethan",
    "voices_complete": True,
    "open_weights": True,
    "api_model": False,
    "mixed_media": True,
    "audio_files_max": None,
    "audio_files_max_base64": None,
    "video_files_max": None,
    "video_files_max_base64": None,
    "images_max": None,
    "images_max_base64": None,
    "data_urls_max": None,
    "data_url_max_bytes": SELF_HOSTED_DATA_URL_MAX_BYTES,
    "image_max_bytes": 100 * _MB,
    "audio_max_bytes": 2 * _GB,
    "video_max_bytes": 2 * _GB,
    "min_max_tokens": 1,
    "system_with_audio_output": True,
    "tool_calling": False,
    "regions": (),
}
"""What self-hosting on vLLM-Omni changes: its speakers; no Model Studio caps
on files, data URLs or mixes of media (vLLM bounds them by tokens and its
`--limit-mm-per-prompt`); the system message reaches the chat template with
speech too (Model Studio drops it on the older families); tools only when
the server is started with a tool parser (`limits={"tool_calling": True}`
says so)."""


def _self_hosted(
    base: OmniModelProfile, family: str, max_model_len: int, **changes: Any
) -> OmniModelProfile:
    """A self-hosted variant of `base`: the server's context bounds both sides."""
    return dataclasses.replace(
        base,
        family=family,
        context_tokens=max_model_len,
        max_input_tokens=max_model_len,
        max_output_tokens=max_model_len,
        thinking_max_input_tokens=None,
        max_model_len=max_model_len,
        uncertain=frozenset(),
        **{**_SELF_HOSTED_DEFAULTS, **changes},
    )


_QWEN3_MAX_MODEL_LEN = 65_536
"""The Qwen3-Omni thinker's positions: vLLM's default `--max-model-len`."""
_QWEN25_MAX_MODEL_LEN = 32_768
"""The Qwen2.5-Omni thinker's positions."""
_SERVE = "open weights: serve them with vLLM-Omni"
_SH_INSTRUCT = _self_hosted(
    _FLASH,
    "qwen3-omni-30b-a3b-instruct",
    _QWEN3_MAX_MODEL_LEN,
    thinking="none",
    thinking_controls=frozenset(),
    max_reasoning_tokens=None,
    note=_SERVE,
)
_SH_THINKING = _self_hosted(
    _FLASH,
    "qwen3-omni-30b-a3b-thinking",
    _QWEN3_MAX_MODEL_LEN,
    audio_output=False,
    audio_output_tokens_per_second=None,
    voices=(),
    default_voice=None,
    thinking="default",
    thinking_controls=frozenset(),
    note=f"{_SERVE}; text answers, always thinks",
)
_SH_CAPTIONER = _self_hosted(
    _CAPTIONER,
    "qwen3-omni-30b-a3b-captioner",
    _QWEN3_MAX_MODEL_LEN,
    voices=(),
    default_voice=None,
    note=f"{_SERVE}; describes one audio file",
)
_SH_OPEN_7B = _self_hosted(
    _OPEN,
    "qwen2.5-omni-7b",
    _QWEN25_MAX_MODEL_LEN,
    voices=_OPEN_VOICES,
    note=_SERVE,
)
_SH_OPEN_3B = dataclasses.replace(_SH_OPEN_7B, family="qwen2.5-omni-3b")
_SELF_HOSTED: dict[str, OmniModelProfile] = {
    "qwen3-omni-30b-a3b-instruct": _SH_INSTRUCT,
    "qwen3-omni-30b-a3b-thinking": _SH_THINKING,
    "qwen3-omni-30b-a3b-captioner": _SH_CAPTIONER,
    "qwen2.5-omni-7b": _SH_OPEN_7B,
    "qwen2.5-omni-3b": _SH_OPEN_3B,
}
"""Open-weights models as vLLM-Omni serves them (`dialect="vllm-omni"`).

Durations, frame counts and token rates are the weights' own (the facts of
the API family that serves the same weights); the server's `--max-model-len`
bounds prompt and answer together."""
_SELF_HOSTED_ONLY = frozenset(
    {"qwen2.5-omni-3b", "qwen3-omni-30b-a3b-instruct", "qwen3-omni-30b-a3b-thinking"}
)
"""Self-hosted names Model Studio does not serve at all."""

_DATED = re.compile(r"^(?P<base>.+?)-\d{4}-\d{2}-\d{2}$")
_FAMILY_PREFIXES: tuple[tuple[str, OmniModelProfile], ...] = (
    ("qwen3.8-omni", _OMNI_3_8),
    ("qwen3.5-omni-flash", _OMNI_3_5_FLASH),
    ("qwen3.5-omni", _OMNI_3_5_PLUS),
    ("qwen3-omni-flash", _FLASH),
)
"""Names of a known family resolve to it quietly: new snapshots appear often."""
_REALTIME = re.compile(r"-realtime(-\d{4}-\d{2}-\d{2})?$")


def known_models() -> dict[str, OmniModelProfile]:
    """Return a copy of the table of models Model Studio serves."""
    return dict(_TABLE)


def self_hosted_models() -> dict[str, OmniModelProfile]:
    """Return a copy of the table of open-weights models served with vLLM-Omni."""
    return dict(_SELF_HOSTED)


def is_realtime_model(model: str) -> bool:
    """Whether `model` names a Qwen-Omni-Realtime model (WebSocket API only)."""
    return bool(_REALTIME.search(model.strip().lower()))


def _base_name(model: str) -> str:
    """`model` without the prefix some servers add (`Qwen/`), lower-cased."""
    return model.strip().lower().rpartition("/")[2]


@lru_cache(maxsize=64)
def get_profile(model: str, dialect: Dialect = "dashscope") -> OmniModelProfile:
    """Resolve a model name to its profile, never failing.

    On Model Studio (`dialect="dashscope"`), documented names and their dated
    snapshots resolve to their family, and so does any name of a known family
    (`qwen3.5-omni-plus-2026-09-01`); open weights Model Studio does not serve
    resolve to their self-hosted profile (and warn where the model is made).
    Other names go by family heuristics (`turbo` -> turbo, `2.5-omni` -> the
    open model, anything else -> qwen3-omni-flash) with one warning per
    name, since new Omni models appear faster than this table changes.

    On vLLM-Omni (`dialect="vllm-omni"`) only the self-hosted table counts:
    `Qwen/Qwen3-Omni-30B-A3B-Instruct` and the other open weights resolve
    quietly; any other name (a `--served-model-name`) goes by the same kind
    of heuristics, to the Instruct model by default, with one warning.
    """
    name = _base_name(model)
    found = _documented_profile(name, dialect)
    if found is not None:
        return found
    guesses, default = _GUESSES[dialect]
    guess = next((profile for part, profile in guesses if part in name), default)
    logger.warning(
        "Unknown Qwen-Omni model %r: using the limits of %s. Pass `limits=` to "
        "ChatQwenOmni to set this model's own limits.",
        model,
        guess.family,
    )
    return guess


def _documented_profile(name: str, dialect: Dialect) -> OmniModelProfile | None:
    """The profile a table gives `name` (or its family), `None` if a guess."""
    if dialect == "vllm-omni":
        return _SELF_HOSTED.get(name)
    if name in _TABLE:
        return _TABLE[name]
    if name in _SELF_HOSTED_ONLY:
        return _SELF_HOSTED[name]
    dated = _DATED.match(name)
    if dated and dated.group("base") in _TABLE:
        return _TABLE[dated.group("base")]
    return next(
        (profile for prefix, profile in _FAMILY_PREFIXES if name.startswith(prefix)),
        None,
    )


_GUESSES: dict[
    Dialect, tuple[tuple[tuple[str, OmniModelProfile], ...], OmniModelProfile]
] = {
    "dashscope": (
        (("captioner", _CAPTIONER), ("turbo", _TURBO), ("2.5-omni", _OPEN)),
        _FLASH,
    ),
    "vllm-omni": (
        (
            ("captioner", _SH_CAPTIONER),
            ("thinking", _SH_THINKING),
            ("2.5-omni-3b", _SH_OPEN_3B),
            ("2.5-omni", _SH_OPEN_7B),
        ),
        _SH_INSTRUCT,
    ),
}
"""Names no table knows: the first family whose mark the name holds, else the
default (each dialect's most common model)."""


def is_documented(model: str, dialect: Dialect = "dashscope") -> bool:
    """Whether `model` (or its family) is in one of the tables, not a guess."""
    return _documented_profile(_base_name(model), dialect) is not None


def validate_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Check limit overrides by name and normalize them (lists to tuples).

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
    for key in ("voices", "regions"):
        if isinstance(changes.get(key), list):
            changes[key] = tuple(changes[key])
    for key in ("thinking_controls", "uncertain"):
        if isinstance(changes.get(key), (list, set, tuple)):
            changes[key] = frozenset(changes[key])
    return changes


_TOKEN_LIMITS = ("context_tokens", "max_input_tokens", "max_output_tokens")


def with_overrides(
    profile: OmniModelProfile, overrides: Mapping[str, Any]
) -> OmniModelProfile:
    """Return `profile` with some fields replaced, for models newer than the table.

    A `max_model_len` lowers the token limits not given alongside it to it:
    a server started with `--max-model-len 32768` takes no more.
    """
    changes = validate_overrides(overrides)
    length = changes.get("max_model_len")
    if isinstance(length, int) and not isinstance(length, bool):
        for field in _TOKEN_LIMITS:
            changes.setdefault(field, min(getattr(profile, field), length))
    return dataclasses.replace(profile, **changes)


def resolve_profile(
    model: str,
    limits: Mapping[str, Any] | OmniModelProfile | None = None,
    dialect: Dialect = "dashscope",
) -> OmniModelProfile:
    """The effective profile of a model: the table's, then the user's `limits`.

    A whole `OmniModelProfile` replaces the table's entry (no warning for an
    unknown name, since the user described the model); a mapping overrides
    some fields of it. `dialect` picks the table (see `get_profile`).
    """
    if isinstance(limits, OmniModelProfile):
        return limits
    profile = get_profile(model, dialect)
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
        "reasoning_output": profile.thinking != "none",
        "tool_calling": profile.tool_calling,
        "temperature": True,
    }
    return result
