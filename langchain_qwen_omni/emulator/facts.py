"""The API's facts as the emulator knows them, written from the public docs alone.

The emulator is a second witness: if it learned the API from the client's
profiles, a wrong fact in the client would be mirrored by the test server and
no test could see it. So this table is written from the project's facts
document (Model Studio's Qwen-Omni guide and error pages, revised December
2026), family by family, and keeps that document's confidence for each fact:
**H** official docs or several agreeing sources, **M** one source or inferred
from official samples, **L** a single third-party report.

Like the API, the emulator judges requests, but it refuses only on H facts. A
request that breaks an M or L fact is accepted and the acceptance is logged
(see `FamilyFacts.binding`), because refusing it could reject what the real
API takes. Facts the document does not give at all are `None` (or, for a
whole unknown model, every fact is L): the emulator then accepts.

`tests/unit_tests/test_facts_agree.py` compares this table with the client's
profiles where both define a value, so a disagreement is seen, not mirrored.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

__all__ = [
    "DATA_URLS_PER_REQUEST",
    "DATA_URL_MAX_BYTES",
    "MODELS",
    "THINKING_CONTROLS",
    "UNKNOWN",
    "Confidence",
    "FamilyFacts",
    "FileCount",
    "MediaKind",
    "ThinkingMode",
    "TokenRules",
    "Uncertain",
    "facts_for",
    "judge",
]

Confidence = Literal["H", "M", "L"]
ThinkingMode = Literal["none", "optional", "default_on"]
"""`none`: no thinking; `optional`: off unless `enable_thinking` is true;
`default_on`: on unless turned off."""
MediaKind = Literal["image", "audio", "video"]

THINKING_CONTROLS = (
    "enable_thinking",
    "thinking_budget",
    "reasoning_effort",
    "preserve_thinking",
)
"""Every request parameter that steers thinking, in the doc's order."""
DATA_URL_MAX_BYTES = 10_485_760
"""`Exceeded limit on max bytes per data-uri item : 10485760` (H, all families)."""
DATA_URLS_PER_REQUEST = 250
"""`Exceeded limit on max data-uri per request: 250` (M, all families)."""

_KB = 1024
_MB = 1024 * _KB
_GB = 1024 * _MB
_MINUTE = 60.0
_HOUR = 60 * _MINUTE


@dataclasses.dataclass(frozen=True)
class Uncertain:
    """A fact the doc marks M or L, and why, so the emulator accepts past it."""

    confidence: Literal["M", "L"]
    why: str


@dataclasses.dataclass(frozen=True)
class FileCount:
    """How many files of one kind one request may carry.

    A family that takes files by URL and as base64 data URLs documents one
    count for each (`2,048 by URL / 250 base64`); a one-file family gives 1
    for both. `None` means the kind has no count of its own (images on the
    older families are bounded by tokens only).
    """

    by_url: int | None
    by_base64: int | None

    @property
    def total(self) -> int | None:
        """The most files of the kind, however they are sent."""
        counts = [c for c in (self.by_url, self.by_base64) if c is not None]
        return max(counts) if counts else None


_ONE = FileCount(1, 1)
_UNCOUNTED = FileCount(None, None)


@dataclasses.dataclass(frozen=True)
class TokenRules:
    """How the family counts media tokens (the doc's "Input limits" table)."""

    image_pixels_per_token: int
    """One image token per N x N pixels (32, or 28 on turbo and Qwen2.5)."""
    image_min_tokens: int
    """Fewest tokens one image costs, however small."""
    image_max_tokens: int
    """Most tokens one image costs; larger images are scaled down."""
    image_max_tokens_high_resolution: int | None
    """The cap with `vl_high_resolution_images`; `None` without that option."""
    audio_input_per_second: float
    """Tokens per second of input audio."""
    audio_output_per_second: float | None
    """Tokens per second of spoken answer; `None` on text-only families."""
    video_fps: float = 2.0
    """Frames sampled per second of a video file."""
    video_frame_max_tokens: int | None = None
    """Cap of one video frame (`<= 640x32x32 px per frame`), where documented."""


@dataclasses.dataclass(frozen=True)
class FamilyFacts:
    """What the doc says about one Omni family, with the confidence of each fact.

    Field names are the facts' names; `uncertain` maps the names of facts the
    doc marks M or L to that mark and the reason. Every other fact is H.
    """

    family: str
    """The family's canonical name, e.g. `"qwen3.5-omni-plus"`."""
    context_tokens: int | None
    max_input_tokens: int | None
    max_input_tokens_thinking: int | None
    """Largest prompt in thinking mode, where it differs."""
    max_reasoning_tokens: int | None
    """Longest chain of thought, where documented."""
    max_output_tokens: int | None
    """Upper bound of `max_tokens`: `Range of max_tokens should be [1, N]`."""
    speech_output: bool
    """Whether `modalities=["text", "audio"]` is available."""
    thinking: ThinkingMode
    thinking_controls: frozenset[str]
    """Which of `THINKING_CONTROLS` the family takes."""
    default_voice: str | None
    voices: tuple[str, ...]
    """Documented voice names; see `voices_complete`."""
    voices_complete: bool
    """True when `voices` is the whole list, so another name is refused."""
    tools: bool
    web_search: bool
    """`enable_search` and `search_options`."""
    high_resolution_images: bool
    """`vl_high_resolution_images`."""
    multichannel: bool
    """`use_multichannel`."""
    mixed_media: bool
    """True: any mix of media kinds in one user message; False: text + one kind."""
    files: Mapping[MediaKind, FileCount]
    image_max_bytes: int | None
    """Largest image file; on 3.5/3.8 the doc gives 20 MB for images by URL
    (an image as base64 is bounded by `data_url_max_bytes` first)."""
    audio_max_bytes: int | None
    audio_max_seconds: float | None
    video_max_bytes: int | None
    video_max_seconds: float | None
    frames_min: int | None
    """Fewest images in an image sequence (`{"type": "video", "video": [...]}`)."""
    frames_max: int | None
    tokens: TokenRules
    voice_count: int | None = None
    """How many voices the family has, where the doc gives a count."""
    min_max_tokens: int = 1
    """Lower bound of `max_tokens`."""
    reasoning_efforts: tuple[str, ...] = ()
    """Documented `reasoning_effort` values, lowest to highest."""
    default_reasoning_effort: str | None = None
    stream_only: bool = True
    """Whether `stream=false` is refused."""
    image_min_side_px: int = 10
    """Width and height must be greater than this."""
    audio_formats: frozenset[str] = frozenset(
        {"amr", "wav", "3gp", "aac", "mp3", "m4a"}
    )
    """Audio containers taken (AMR, WAV, 3GP, 3GPP, AAC, MP3; AAC also in M4A)."""
    video_formats: frozenset[str] = frozenset(
        {"mp4", "avi", "mkv", "mov", "flv", "wmv", "3gp"}
    )
    """Video containers taken (MP4, AVI, MKV, MOV, FLV, WMV; 3GP is MP4's kin)."""
    image_max_aspect_ratio: float = 200.0
    data_url_max_bytes: int = DATA_URL_MAX_BYTES
    data_urls_per_request: int = DATA_URLS_PER_REQUEST
    uncertain: Mapping[str, Uncertain] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    """Facts the doc marks M or L; every other fact is H."""
    everything_uncertain: bool = False
    """True for a model the doc does not name: every fact is L."""

    def confidence(self, fact: str) -> Confidence:
        """The doc's confidence in one fact, by field name."""
        if self.everything_uncertain:
            return "L"
        uncertain = self.uncertain.get(fact)
        return "H" if uncertain is None else uncertain.confidence

    def binding(self, fact: str) -> bool:
        """Whether the emulator refuses a request that breaks this fact (H only)."""
        return self.confidence(fact) == "H"


def _uncertain(**facts: Uncertain) -> Mapping[str, Uncertain]:
    return MappingProxyType(
        {"data_urls_per_request": _DATA_URL_COUNT_IS_M, **facts},
    )


_DATA_URL_COUNT_IS_M = Uncertain(
    "M", "one report of 'Exceeded limit on max data-uri per request: 250'"
)
_NO_INPUT_LIMITS = Uncertain(
    "L", "the doc gives no input limits for the captioner; Qwen3-Omni's are assumed"
)

# --- voices --------------------------------------------------------------------

_FLASH_VOICES_2025_09_15 = (
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
_FLASH_VOICES_2025_12_01 = (
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
_QWEN25_VOICES = ("Ethan", "Chelsie")

# --- the families ----------------------------------------------------------------

_MANY_FILES: Mapping[MediaKind, FileCount] = MappingProxyType(
    {
        "image": FileCount(2_048, 250),
        "audio": FileCount(2_048, 250),
        "video": FileCount(512, 250),
    }
)
_ONE_AUDIO_ONE_VIDEO: Mapping[MediaKind, FileCount] = MappingProxyType(
    {"image": _UNCOUNTED, "audio": _ONE, "video": _ONE}
)
_NEW_TOKENS = TokenRules(
    image_pixels_per_token=32,
    image_min_tokens=24,
    image_max_tokens=1_280,
    image_max_tokens_high_resolution=16_384,
    audio_input_per_second=7.0,
    audio_output_per_second=12.5,
    video_frame_max_tokens=640,
)

QWEN38_OMNI_FLASH = FamilyFacts(
    family="qwen3.8-omni-flash",
    context_tokens=1_000_000,
    max_input_tokens=991_808,
    max_input_tokens_thinking=983_616,
    max_reasoning_tokens=None,
    max_output_tokens=131_072,
    speech_output=False,
    thinking="default_on",
    thinking_controls=frozenset(THINKING_CONTROLS),
    reasoning_efforts=("none", "low", "medium", "high", "xhigh", "max"),
    default_reasoning_effort="xhigh",
    default_voice=None,
    voices=(),
    voices_complete=True,
    tools=True,
    web_search=True,
    high_resolution_images=True,
    multichannel=True,
    mixed_media=True,
    files=MappingProxyType({**_MANY_FILES, "video": FileCount(64, 64)}),
    image_max_bytes=20 * _MB,
    audio_max_bytes=2 * _GB,
    audio_max_seconds=3 * _HOUR,
    video_max_bytes=2 * _GB,
    video_max_seconds=2 * _HOUR,
    frames_min=2,
    frames_max=2_048,
    tokens=dataclasses.replace(_NEW_TOKENS, audio_output_per_second=None),
    uncertain=_uncertain(
        stream_only=Uncertain("L", "one report that stream=false is accepted"),
        reasoning_efforts=Uncertain(
            "M", "the doc gives the range none..max; the names between are inferred"
        ),
    ),
)

QWEN35_OMNI_PLUS = FamilyFacts(
    family="qwen3.5-omni-plus",
    context_tokens=262_144,
    max_input_tokens=196_608,
    max_input_tokens_thinking=None,
    max_reasoning_tokens=None,
    max_output_tokens=65_536,
    speech_output=True,
    thinking="none",
    thinking_controls=frozenset(),
    default_voice="Tina",
    voices=("Tina",),
    voices_complete=False,
    voice_count=55,
    tools=True,
    web_search=True,
    high_resolution_images=True,
    multichannel=False,
    mixed_media=True,
    files=_MANY_FILES,
    image_max_bytes=20 * _MB,
    audio_max_bytes=2 * _GB,
    audio_max_seconds=3 * _HOUR,
    video_max_bytes=2 * _GB,
    video_max_seconds=_HOUR,
    frames_min=2,
    frames_max=2_048,
    tokens=_NEW_TOKENS,
    uncertain=_uncertain(
        context_tokens=Uncertain("M", "one source for plus's token limits"),
        max_input_tokens=Uncertain("M", "one source for plus's token limits"),
        max_output_tokens=Uncertain("M", "one source for plus's token limits"),
        tools=Uncertain("L", "tools on chat completions are unconfirmed"),
    ),
)

QWEN35_OMNI_FLASH = dataclasses.replace(
    QWEN35_OMNI_PLUS,
    family="qwen3.5-omni-flash",
    context_tokens=None,
    max_input_tokens=None,
    max_output_tokens=None,
    uncertain=_uncertain(
        tools=Uncertain("L", "tools on chat completions are unconfirmed"),
    ),
)

QWEN3_OMNI_FLASH_2025_12_01 = FamilyFacts(
    family="qwen3-omni-flash-2025-12-01",
    context_tokens=65_536,
    max_input_tokens=49_152,
    max_input_tokens_thinking=16_384,
    max_reasoning_tokens=32_768,
    max_output_tokens=16_384,
    speech_output=True,
    thinking="optional",
    thinking_controls=frozenset({"enable_thinking", "thinking_budget"}),
    default_voice="Cherry",
    voices=_FLASH_VOICES_2025_12_01,
    voices_complete=True,
    voice_count=49,
    tools=True,
    web_search=False,
    high_resolution_images=False,
    multichannel=False,
    mixed_media=False,
    files=_ONE_AUDIO_ONE_VIDEO,
    image_max_bytes=10 * _MB,
    audio_max_bytes=100 * _MB,
    # The same guide also says 150 s. The larger bound is enforced, so what
    # either reading allows is accepted.
    audio_max_seconds=20 * _MINUTE,
    video_max_bytes=256 * _MB,
    video_max_seconds=150.0,
    frames_min=2,
    frames_max=128,
    tokens=TokenRules(
        image_pixels_per_token=32,
        image_min_tokens=4,
        image_max_tokens=1_280,
        image_max_tokens_high_resolution=None,
        audio_input_per_second=12.5,
        audio_output_per_second=12.5,
    ),
    uncertain=_uncertain(),
)
# thinking_budget is listed without naming a family (M): it is taken here, so
# no request is refused on that account.

QWEN3_OMNI_FLASH_2025_09_15 = dataclasses.replace(
    QWEN3_OMNI_FLASH_2025_12_01,
    family="qwen3-omni-flash-2025-09-15",
    voices=_FLASH_VOICES_2025_09_15,
    voice_count=17,
)

QWEN3_OMNI_FLASH = dataclasses.replace(
    QWEN3_OMNI_FLASH_2025_12_01,
    family="qwen3-omni-flash",
    voices_complete=False,
    uncertain=_uncertain(
        voices=Uncertain(
            "M", "the docs conflict on which voice list the bare alias takes"
        ),
    ),
)
"""The bare alias: the 2025-12-01 snapshot, but which voices it takes is M, so
its list is not taken as complete: another voice is accepted."""

QWEN_OMNI_TURBO = FamilyFacts(
    family="qwen-omni-turbo",
    context_tokens=32_768,
    max_input_tokens=30_720,
    max_input_tokens_thinking=None,
    max_reasoning_tokens=None,
    max_output_tokens=2_048,
    speech_output=True,
    thinking="none",
    thinking_controls=frozenset(),
    default_voice="Chelsie",
    voices=_TURBO_VOICES,
    voices_complete=True,
    tools=False,
    web_search=False,
    high_resolution_images=False,
    multichannel=False,
    mixed_media=False,
    files=_ONE_AUDIO_ONE_VIDEO,
    image_max_bytes=10 * _MB,
    audio_max_bytes=10 * _MB,
    audio_max_seconds=3 * _MINUTE,
    video_max_bytes=150 * _MB,
    video_max_seconds=40.0,
    frames_min=4,
    frames_max=80,
    tokens=TokenRules(
        image_pixels_per_token=28,
        image_min_tokens=4,
        image_max_tokens=1_280,
        image_max_tokens_high_resolution=None,
        audio_input_per_second=25.0,
        audio_output_per_second=25.0,
    ),
    uncertain=_uncertain(
        default_voice=Uncertain("L", "Chelsie is documented as the realtime default"),
    ),
)

QWEN25_OMNI_7B = dataclasses.replace(
    QWEN_OMNI_TURBO,
    family="qwen2.5-omni-7b",
    default_voice="Ethan",
    voices=_QWEN25_VOICES,
    min_max_tokens=10,
    uncertain=_uncertain(
        default_voice=Uncertain("L", "not documented; vLLM-Omni's default speaker"),
        min_max_tokens=Uncertain("L", "max_tokens reported as [10, 2048]"),
    ),
)

_CAPTIONER_INPUT_FACTS = (
    "mixed_media",
    "audio_formats",
    "video_formats",
    "files",
    "image_max_bytes",
    "audio_max_bytes",
    "audio_max_seconds",
    "video_max_bytes",
    "video_max_seconds",
    "frames_min",
    "frames_max",
    "image_min_side_px",
    "image_max_aspect_ratio",
    "tokens",
)

QWEN3_OMNI_CAPTIONER = dataclasses.replace(
    QWEN3_OMNI_FLASH_2025_12_01,
    family="qwen3-omni-30b-a3b-captioner",
    context_tokens=65_536,
    max_input_tokens=32_768,
    max_input_tokens_thinking=None,
    max_reasoning_tokens=None,
    max_output_tokens=32_768,
    speech_output=False,
    thinking="none",
    thinking_controls=frozenset(),
    default_voice=None,
    voices=(),
    voice_count=None,
    tools=False,
    uncertain=_uncertain(**dict.fromkeys(_CAPTIONER_INPUT_FACTS, _NO_INPUT_LIMITS)),
)

UNKNOWN = FamilyFacts(
    family="unknown",
    context_tokens=None,
    max_input_tokens=None,
    max_input_tokens_thinking=None,
    max_reasoning_tokens=None,
    max_output_tokens=None,
    speech_output=True,
    thinking="optional",
    thinking_controls=frozenset(THINKING_CONTROLS),
    default_voice=None,
    voices=(),
    voices_complete=False,
    tools=True,
    web_search=True,
    high_resolution_images=True,
    multichannel=True,
    mixed_media=True,
    files=MappingProxyType(dict.fromkeys(("image", "audio", "video"), _UNCOUNTED)),
    image_max_bytes=None,
    audio_max_bytes=None,
    audio_max_seconds=None,
    video_max_bytes=None,
    video_max_seconds=None,
    frames_min=None,
    frames_max=None,
    tokens=_NEW_TOKENS,
    everything_uncertain=True,
)
"""A name the doc does not give: nothing is refused on the family's account."""

MODELS: Mapping[str, FamilyFacts] = MappingProxyType(
    {
        "qwen3.8-omni-flash": QWEN38_OMNI_FLASH,
        "qwen3.5-omni-plus": QWEN35_OMNI_PLUS,
        "qwen3.5-omni-plus-2026-03-15": QWEN35_OMNI_PLUS,
        "qwen3.5-omni-flash": QWEN35_OMNI_FLASH,
        "qwen3.5-omni-flash-2026-03-15": QWEN35_OMNI_FLASH,
        "qwen3-omni-flash": QWEN3_OMNI_FLASH,
        "qwen3-omni-flash-2025-12-01": QWEN3_OMNI_FLASH_2025_12_01,
        "qwen3-omni-flash-2025-09-15": QWEN3_OMNI_FLASH_2025_09_15,
        "qwen-omni-turbo": QWEN_OMNI_TURBO,
        "qwen-omni-turbo-latest": QWEN_OMNI_TURBO,
        "qwen-omni-turbo-2025-03-26": QWEN_OMNI_TURBO,
        "qwen-omni-turbo-2025-01-19": QWEN_OMNI_TURBO,
        "qwen2.5-omni-7b": QWEN25_OMNI_7B,
        "qwen3-omni-30b-a3b-captioner": QWEN3_OMNI_CAPTIONER,
    }
)
"""Every model name the doc gives for chat completions, with its facts."""

_PREFIXES: tuple[tuple[str, FamilyFacts], ...] = (
    ("qwen3.8-omni-", QWEN38_OMNI_FLASH),
    ("qwen3.5-omni-plus", QWEN35_OMNI_PLUS),
    ("qwen3.5-omni-", QWEN35_OMNI_FLASH),
    ("qwen3-omni-flash", QWEN3_OMNI_FLASH),
    ("qwen-omni-turbo", QWEN_OMNI_TURBO),
)
"""Names of a known family resolve by prefix, longest first within a family.

Any `qwen3.5-omni-*` other than plus gets flash's facts, whose token limits
are unpublished and so refuse nothing."""
_DATED = re.compile(r"^(?P<base>.+?)-\d{4}-\d{2}-\d{2}$")


def facts_for(model: str) -> FamilyFacts:
    """The facts for a model name: exact, dated snapshot, family prefix, else unknown.

    A new snapshot of a known name (`qwen3-omni-flash-2026-06-01`) and a new
    member of a known family (`qwen3.5-omni-max`) take that family's facts;
    any other name gets `UNKNOWN`, which refuses nothing on the model's
    account.
    """
    name = model.strip().lower()
    if name in MODELS:
        return MODELS[name]
    dated = _DATED.match(name)
    if dated is not None and dated.group("base") in MODELS:
        return MODELS[dated.group("base")]
    for prefix, facts in _PREFIXES:
        if name.startswith(prefix):
            return facts
    return UNKNOWN


def judge(facts: FamilyFacts, fact: str, message: str) -> str | None:
    """Refuse a request that breaks `fact` only when the doc is sure of it.

    Returns `message` (the refusal) for an H fact; for an M or L fact the
    request is accepted and the acceptance logged at INFO, with the reason.
    """
    if facts.binding(fact):
        return message
    reason = facts.uncertain.get(fact)
    why = reason.why if reason is not None else "the model is not in the doc"
    logger.info(
        "Accepted on %s although: %s (%s is %s: %s)",
        facts.family,
        message,
        fact,
        facts.confidence(fact),
        why,
    )
    return None
