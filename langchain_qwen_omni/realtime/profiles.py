"""What each Qwen-Omni-Realtime model accepts: voices, tools, turn detection, formats.

Kept apart from the chat models' table: a realtime model is a different
endpoint with its own session schema. Facts come from the facts doc's
"Realtime API" section; the uncertain ones (voice lists, the meaning of
`pcm16` on turbo) are settings that warn, never refuse, and every field can
be overridden with `dataclasses.replace` and `QwenOmniRealtime(profile=...)`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from functools import lru_cache

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_REALTIME_MODEL",
    "REALTIME_PROFILES",
    "RealtimeProfile",
    "get_realtime_profile",
]

DEFAULT_REALTIME_MODEL = "qwen3.5-omni-plus-realtime"
"""The vendor's advice for speech: Qwen3.5-Omni."""

_FLASH_VOICES_2025_09 = (
    "Cherry", "Ethan", "Nofish", "Jennifer", "Ryan", "Katerina", "Elias", "Jada",
    "Dylan", "Sunny", "Li", "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric",
)  # fmt: skip
_FLASH_VOICES_2025_12 = (
    "Cherry", "Serena", "Ethan", "Chelsie", "Momo", "Vivian", "Moon", "Maia",
    "Kai", "Nofish", "Bella", "Jennifer", "Ryan", "Katerina", "Aiden",
    "Eldric Sage", "Mia", "Mochi", "Bellona", "Vincent", "Bunny", "Neil",
    "Elias", "Arthur", "Nini", "Ebona", "Seren", "Pip", "Stella", "Bodega",
    "Sonrisa", "Alek", "Dolce", "Sohee", "Ono Anna", "Lenn", "Emilien", "Andre",
    "Radio Gol", "Jada", "Dylan", "Li", "Marcus", "Roy", "Peter", "Sunny",
    "Eric", "Rocky", "Kiki",
)  # fmt: skip
_TURBO_VOICES = ("Cherry", "Serena", "Ethan", "Chelsie")
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|latest)$")
_OUTPUT_RATE = 24_000


@dataclasses.dataclass(frozen=True)
class RealtimeProfile:
    """Capabilities of one realtime model family, as the session schema needs them."""

    family: str
    """The family's base model name, e.g. `qwen3.5-omni-plus-realtime`."""
    default_voice: str
    """Voice used when none is given (Tina on 3.5/3.8, Cherry on flash, Chelsie
    on turbo)."""
    voices: tuple[str, ...]
    """Voices known to exist on this family."""
    voices_complete: bool
    """Whether `voices` is the whole list; when False an unlisted voice is sent
    with a warning instead of refused."""
    tools: bool
    """Function calling in realtime sessions (3.5 and 3.8 only)."""
    search: bool
    """`enable_search` in the session (3.5 and 3.8); never together with tools."""
    turn_detection: tuple[str, ...]
    """Server turn-detection types: `server_vad`, and `semantic_vad` on 3.5/3.8.
    Manual turns (`turn_detection=None`) work everywhere."""
    output_formats: tuple[tuple[str, int], ...]
    """`output_audio_format` values this family takes, each with its sample
    rate. `pcm24` is 24 kHz; turbo's `pcm16` names 16-bit samples at 24 kHz,
    as in the DashScope SDK's format table (M)."""
    default_output_format: str
    """The `output_audio_format` sent when none is chosen."""
    input_audio_format: str = "pcm16"
    """What the client sends: 16 kHz mono PCM16, accepted by every family."""
    workspace_domain: bool = False
    """Served only on workspace domains (`{WorkspaceId}.{region}.maas.aliyuncs.com`)."""

    def output_sample_rate(self, output_format: str | None = None) -> int:
        """The speech's sample rate for an `output_audio_format` (24 kHz if unknown)."""
        rates = dict(self.output_formats)
        return rates.get(output_format or self.default_output_format, _OUTPUT_RATE)


_QWEN35 = RealtimeProfile(
    family="qwen3.5-omni-plus-realtime",
    default_voice="Tina",
    voices=("Tina",),
    voices_complete=False,  # 55 voices; only Tina is confirmed by name
    tools=True,
    search=True,
    turn_detection=("server_vad", "semantic_vad"),
    output_formats=(("pcm24", 24_000), ("pcm16", 16_000)),
    default_output_format="pcm24",
)

REALTIME_PROFILES: dict[str, RealtimeProfile] = {
    "qwen3.8-omni-flash-realtime": dataclasses.replace(
        _QWEN35, family="qwen3.8-omni-flash-realtime", workspace_domain=True
    ),
    "qwen3.5-omni-plus-realtime": _QWEN35,
    "qwen3.5-omni-flash-realtime": dataclasses.replace(
        _QWEN35, family="qwen3.5-omni-flash-realtime"
    ),
    "qwen3-omni-flash-realtime": RealtimeProfile(
        family="qwen3-omni-flash-realtime",
        default_voice="Cherry",
        voices=_FLASH_VOICES_2025_12,
        voices_complete=False,  # the docs conflict on which list the alias gets
        tools=False,
        search=False,
        turn_detection=("server_vad",),
        output_formats=(("pcm24", 24_000),),
        default_output_format="pcm24",
    ),
    "qwen-omni-turbo-realtime": RealtimeProfile(
        family="qwen-omni-turbo-realtime",
        default_voice="Chelsie",
        voices=_TURBO_VOICES,
        voices_complete=True,
        tools=False,
        search=False,
        turn_detection=("server_vad",),
        output_formats=(("pcm16", 24_000),),
        default_output_format="pcm16",
    ),
}
"""Profiles by family name; dated snapshots resolve to their family."""

_SNAPSHOT_VOICES = {
    "qwen3-omni-flash-realtime-2025-09-15": _FLASH_VOICES_2025_09,
}


@lru_cache(maxsize=256)
def get_realtime_profile(model: str) -> RealtimeProfile:
    """The profile of a realtime model; unknown names resolve by family, warning once.

    Args:
        model: A realtime model name or dated snapshot, e.g.
            `qwen3-omni-flash-realtime-2025-12-01`.
    """
    base = _SNAPSHOT.sub("", model)
    profile = REALTIME_PROFILES.get(base)
    if profile is not None:
        voices = _SNAPSHOT_VOICES.get(model)
        if voices is not None:
            return dataclasses.replace(profile, voices=voices, voices_complete=True)
        return profile
    guess = _guess_family(model)
    hint = (
        ""
        if "realtime" in model
        else f" {model!r} is not a realtime model name: realtime names end in "
        "'-realtime', e.g. 'qwen3.5-omni-plus-realtime'."
    )
    logger.warning(
        "Unknown realtime model %r: using the %s profile (voices, tools, formats).%s",
        model,
        guess.family,
        hint,
    )
    return guess


def _guess_family(model: str) -> RealtimeProfile:
    """The closest known family of an unknown name."""
    name = model.lower()
    if "3.8" in name:
        return REALTIME_PROFILES["qwen3.8-omni-flash-realtime"]
    if "3.5" in name:
        family = "flash" if "flash" in name else "plus"
        return REALTIME_PROFILES[f"qwen3.5-omni-{family}-realtime"]
    if "turbo" in name:
        return REALTIME_PROFILES["qwen-omni-turbo-realtime"]
    return REALTIME_PROFILES["qwen3-omni-flash-realtime"]
