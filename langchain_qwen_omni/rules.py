"""Omni's conversation rules and media limits, checked before any request.

Pure functions over the typed request (`_request.OmniRequest`), run by
`ChatQwenOmni` while it builds each request, against the model's profile:

1. `check_parameters`: modalities, voice, thinking and its controls, web
   search, ranges of the sampling parameters, `max_tokens`, `n`.
2. `find_repairs`: rules that can be repaired without changing meaning
   (media in tool results, earlier files beyond the per-request count,
   assistant media, too many frames, several kinds of media in one user
   message where the family takes one, a system prompt the model would
   ignore). Under `strict=True` the first one raises `OmniConversationError`.
3. `apply_repairs`: the repairs, each kind logged once at WARNING.
4. `check_limits`: what cannot be repaired (data URL cap, sizes, image
   dimensions, durations, frame minimum, capabilities, files in the current
   message) raises `OmniInputError` naming the message and block, the limit,
   the measured value and the fix.

Every limit comes from the profile; a fact the documentation leaves
uncertain (`profile.uncertain`) warns once and lets the API judge. Media
were measured once by the converter: nothing is decoded here.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from langchain_qwen_omni._request import Media, OmniRequest, Params, Text, Turn
from langchain_qwen_omni.errors import OmniConversationError, OmniInputError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langchain_qwen_omni._probe import Kind
    from langchain_qwen_omni.profiles import OmniModelProfile

logger = logging.getLogger(__name__)

__all__ = [
    "REASONING_EFFORTS",
    "Repair",
    "apply_repairs",
    "check_limits",
    "check_parameters",
    "check_request",
    "find_repairs",
    "kept_frame_indices",
    "warn_once",
]

RepairKind = Literal[
    "tool_media",
    "extra_files",
    "assistant_media",
    "frames",
    "mixed_media",
    "system_prompt",
]
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""`reasoning_effort` values the documentation implies ("none..max"); others
warn, since the exact set is not published."""
_MODALITY_SETS = ({"text"}, {"text", "audio"})
_SEED_MAX = 2**63 - 1
_NOUNS: dict[Kind, str] = {
    "image": "image",
    "audio": "audio file",
    "video": "video file",
}

_LOGGED: set[tuple[str, ...]] = set()
"""Warnings already logged at WARNING in this process, by key.

An agent re-sends its history on every turn, so the same repair would
otherwise warn on every call; later ones are logged at DEBUG."""


def warn_once(key: tuple[str, ...], message: str) -> None:
    """Log `message` at WARNING the first time `key` is seen, then at DEBUG."""
    first = key not in _LOGGED
    _LOGGED.add(key)
    logger.log(logging.WARNING if first else logging.DEBUG, "%s", message)


def kept_frame_indices(count: int, limit: int) -> list[int]:
    """Indices of `limit` frames spread evenly over `count`, first and last kept.

    Strictly increasing, so the order of the sequence is kept.
    """
    if count <= limit:
        return list(range(count))
    if limit <= 1:
        return [0][:limit]
    return [round(i * (count - 1) / (limit - 1)) for i in range(limit)]


# --- 1. parameters --------------------------------------------------------------


def _refuse_or_warn(profile: OmniModelProfile, field: str, message: str) -> None:
    """Refuse a broken fact, or warn once where the documentation is unsure."""
    if profile.is_uncertain(field):
        warn_once(
            ("uncertain", profile.family, field),
            f"{message} The documentation does not settle this for "
            f"{profile.family}, so the request is sent and the API will judge.",
        )
        return
    raise OmniInputError(message)


def _check_range(  # noqa: PLR0913 - a range is two bounds and two openings
    name: str,
    value: object,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Check a sampling parameter against the range the API enforces."""
    if value is None:
        return
    number = not isinstance(value, bool) and isinstance(value, (int, float))
    inside = (
        number
        and math.isfinite(value)  # type: ignore[arg-type]
        and (low < value if low_open else low <= value)  # type: ignore[operator]
        and (value < high if high_open else value <= high)  # type: ignore[operator]
    )
    if not inside:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        msg = (
            f"{name}={value!r} is outside {left}{low:g}, {high:g}{right}, the range "
            "the API takes."
        )
        raise OmniInputError(msg)


def check_parameters(params: Params, profile: OmniModelProfile) -> None:
    """Check the request parameters against the model.

    Raises:
        OmniInputError: For a parameter the family does not take or a value
            outside its range, naming the parameter, the value, the limit
            and the fix.
    """
    _check_speech(params, profile)
    _check_thinking(params, profile)
    _check_tokens(params, profile)
    _check_range("temperature", params.temperature, 0.0, 2.0, high_open=True)
    _check_range("top_p", params.top_p, 0.0, 1.0, low_open=True)
    _check_range("presence_penalty", params.presence_penalty, -2.0, 2.0)
    if params.seed is not None and (
        isinstance(params.seed, bool)
        or not isinstance(params.seed, int)
        or not 0 <= params.seed <= _SEED_MAX
    ):
        msg = f"seed={params.seed!r} is outside [0, 2^63-1], the API's range."
        raise OmniInputError(msg)
    if params.n is not None and params.n != 1:
        msg = (
            f"n={params.n!r}: Omni answers with one choice per request. Drop n, or "
            "send several requests (model.batch([...]) runs them concurrently)."
        )
        raise OmniInputError(msg)
    if (params.enable_search or params.search_options is not None) and (
        not profile.web_search
    ):
        msg = (
            f"{profile.family} has no web search (enable_search / search_options). "
            "Use qwen3.8-omni-flash or a Qwen3.5-Omni model, or drop the option."
        )
        raise OmniInputError(msg)
    if params.search_options is not None and not isinstance(
        params.search_options, Mapping
    ):
        msg = (
            "search_options must be a dict such as {'search_strategy': 'agent'}, "
            f"got {type(params.search_options).__name__}."
        )
        raise OmniInputError(msg)
    if params.vl_high_resolution_images and not profile.high_resolution_images:
        msg = (
            f"{profile.family} has no vl_high_resolution_images. Use "
            "qwen3.8-omni-flash or a Qwen3.5-Omni model, or drop the option."
        )
        raise OmniInputError(msg)


def _check_speech(params: Params, profile: OmniModelProfile) -> None:
    modalities = params.modalities
    if (
        not isinstance(modalities, tuple)
        or not all(isinstance(name, str) for name in modalities)
        or set(modalities) not in _MODALITY_SETS
    ):
        shown = list(modalities) if isinstance(modalities, tuple) else modalities
        msg = f'modalities must be ["text"] or ["text", "audio"], got {shown!r}.'
        raise OmniInputError(msg)
    if not params.speech:
        return
    if not profile.audio_output:
        msg = (
            f"{profile.family} cannot speak (it answers in text only): use "
            "modalities=['text'], or a "
            "model that speaks (qwen3.5-omni-plus, qwen3.5-omni-flash, "
            "qwen3-omni-flash). If a newer version of this model speaks, pass "
            "limits={'audio_output': True}."
        )
        raise OmniInputError(msg)
    if params.enable_thinking:
        msg = (
            "Speech cannot be requested with thinking: the API allows only "
            'modalities=["text"] when enable_thinking=True. Drop one of them.'
        )
        raise OmniInputError(msg)
    _check_voice(params.voice, profile)
    if params.audio_format != "wav":
        msg = (
            f"audio format {params.audio_format!r} is not accepted: the API "
            "takes only 'wav' (and streams raw PCM whatever the format)."
        )
        raise OmniInputError(msg)


def _check_voice(voice: object, profile: OmniModelProfile) -> None:
    if voice is None or not profile.voices or voice in profile.voices:
        return
    if not isinstance(voice, str):
        msg = f"voice must be a string, got {type(voice).__name__}."
        raise OmniInputError(msg)
    if not profile.voices_complete:
        warn_once(
            ("voice", profile.family, voice),
            f"Voice {voice!r} is not among the voices documented for "
            f"{profile.family}; it is sent as given, and the API will refuse it "
            "if it does not exist.",
        )
        return
    choices = ", ".join(f"'{name}'" for name in profile.voices)
    hint = next(
        (
            f" Did you mean '{name}'?"
            for name in profile.voices
            if name.lower() == voice.lower()
        ),
        "",
    )
    msg = (
        f"Voice {voice!r} is not available on {profile.family}; choose one of "
        f"{choices}.{hint}"
    )
    raise OmniInputError(msg)


def _check_thinking(params: Params, profile: OmniModelProfile) -> None:
    if params.enable_thinking and profile.thinking == "none":
        msg = (
            f"{profile.family} does not think: drop enable_thinking=True, or use "
            "qwen3-omni-flash (thinking on request) or qwen3.8-omni-flash."
        )
        raise OmniInputError(msg)
    controls = {
        "thinking_budget": params.thinking_budget,
        "reasoning_effort": params.reasoning_effort,
        "preserve_thinking": params.preserve_thinking,
    }
    for name, value in controls.items():
        if value is not None and name not in profile.thinking_controls:
            takes = sorted(profile.thinking_controls) or ["no thinking controls"]
            msg = (
                f"{name} is not available on {profile.family} (it takes "
                f"{', '.join(takes)}). Drop {name}, or use qwen3.8-omni-flash."
            )
            raise OmniInputError(msg)
    if params.reasoning_effort is not None and params.thinking_budget is not None:
        msg = (
            "reasoning_effort and thinking_budget cannot be combined: set one. "
            "reasoning_effort ('none' to 'max') is the simpler control."
        )
        raise OmniInputError(msg)
    budget = params.thinking_budget
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int) or budget < 1
    ):
        msg = f"thinking_budget must be a positive number of tokens, got {budget!r}."
        raise OmniInputError(msg)
    effort = params.reasoning_effort
    if effort is not None and effort not in REASONING_EFFORTS:
        if not isinstance(effort, str):
            msg = f"reasoning_effort must be a string, got {type(effort).__name__}."
            raise OmniInputError(msg)
        warn_once(
            ("reasoning_effort", effort),
            f"reasoning_effort={effort!r} is not one of "
            f"{', '.join(REASONING_EFFORTS)}; it is sent for the API to judge.",
        )


def _check_tokens(params: Params, profile: OmniModelProfile) -> None:
    value = params.max_tokens
    if value is None:
        return
    span = f"[{profile.min_max_tokens}, {profile.max_output_tokens:,}]"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"max_tokens={value!r} is outside {span}, the range of {profile.family}."
        raise OmniInputError(msg)
    if value > profile.max_output_tokens:
        _refuse_or_warn(
            profile,
            "max_output_tokens",
            f"max_tokens={value} is outside {span}, the range of {profile.family}. "
            "Lower it.",
        )
    if value < profile.min_max_tokens:
        _refuse_or_warn(
            profile,
            "min_max_tokens",
            f"max_tokens={value} is outside {span}, the range of {profile.family}. "
            "Raise it.",
        )


# --- 2. repairable rules --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Repair:
    """A rule broken in a way that can be repaired without changing meaning."""

    kind: RepairKind
    message: int
    """Index of the message, as the user gave it."""
    detail: str
    """What is wrong, for `OmniConversationError` under `strict=True`."""
    media: tuple[str, ...] = ()
    """The media kinds moved or sent as text: each warns once on its own."""


def _system_ignored(profile: OmniModelProfile, *, speech: bool) -> bool:
    return not profile.system_message or (
        speech and not profile.system_with_audio_output
    )


def _last_user(turns: Sequence[Turn]) -> int | None:
    """Position of the last user turn: the question being asked."""
    return next(
        (i for i in range(len(turns) - 1, -1, -1) if turns[i].role == "user"), None
    )


def _file_caps(kind: Kind, profile: OmniModelProfile) -> tuple[int | None, int | None]:
    """`(files, of which inline)` of one kind a request may carry."""
    if kind == "audio":
        return profile.audio_files_max, profile.audio_files_max_base64
    if kind == "video":
        return profile.video_files_max, profile.video_files_max_base64
    return profile.images_max, profile.images_max_base64


def _counted(item: Media) -> bool:
    """Whether an item counts as a file (image sequences do not)."""
    return not item.is_sequence


def _files_to_demote(
    turns: Sequence[Turn], profile: OmniModelProfile
) -> list[tuple[int, Media]]:
    """Earlier files beyond the per-request counts: `(turn position, item)`.

    The newest files are kept; counted over user and tool turns, since
    assistant media never reaches the API.
    """
    demote: list[tuple[int, Media]] = []
    for kind in ("image", "audio", "video"):
        cap, inline_cap = _file_caps(kind, profile)
        if cap is None and inline_cap is None:
            continue
        kept = kept_inline = 0
        for position in range(len(turns) - 1, -1, -1):
            turn = turns[position]
            if turn.role == "assistant":
                continue
            for item in reversed(turn.media):
                if item.kind != kind or not _counted(item):
                    continue
                fits = (cap is None or kept < cap) and (
                    inline_cap is None or not item.inline or kept_inline < inline_cap
                )
                if fits:
                    kept += 1
                    kept_inline += item.inline
                else:
                    demote.append((position, item))
    return demote


def find_repairs(request: OmniRequest, profile: OmniModelProfile) -> list[Repair]:
    """List the repairable rules the conversation breaks, in message order."""
    repairs: list[Repair] = []
    turns = request.turns
    system_ignored = _system_ignored(profile, speech=request.params.speech)
    for turn in turns:
        kinds = turn.kinds()
        if turn.role == "tool" and kinds:
            repairs.append(
                Repair(
                    "tool_media",
                    turn.index,
                    f"Message {turn.index} is a tool result with "
                    f"{' and '.join(kinds)}; Omni takes text only in tool "
                    "results. Return the media in a user message after it.",
                    media=tuple(kinds),
                )
            )
        if turn.role == "assistant" and kinds:
            repairs.append(
                Repair(
                    "assistant_media",
                    turn.index,
                    f"Message {turn.index} is an assistant message with "
                    f"{' and '.join(kinds)}; Omni takes text only in assistant "
                    "turns. Send its text (the transcript) instead.",
                )
            )
        elif turn.role == "system" and system_ignored:
            why = (
                "takes no system message"
                if not profile.system_message
                else "ignores the system message when speech is requested"
            )
            repairs.append(
                Repair(
                    "system_prompt",
                    turn.index,
                    f"Message {turn.index} is a system message, but {profile.family} "
                    f"{why}. Put its text in the first user message instead.",
                )
            )
        elif turn.role == "user" and len(kinds) > 1 and not profile.mixed_media:
            repairs.append(
                Repair(
                    "mixed_media",
                    turn.index,
                    f"Message {turn.index} holds {', '.join(kinds)}; "
                    f"{profile.family} takes one kind of media per user message. "
                    "Split it into one message per kind.",
                )
            )
        if turn.role != "assistant":
            repairs.extend(
                Repair(
                    "frames",
                    turn.index,
                    f"{item.where}: the image sequence has {len(item.frames or ())} "
                    f"frames; {profile.family} takes at most {profile.frames_max:,}. "
                    "Send fewer frames (sample them evenly).",
                )
                for item in turn.media
                if item.is_sequence and len(item.frames or ()) > profile.frames_max
            )
    repairs.extend(_extra_file_repairs(_moved_tool_media(turns), profile))
    repairs.sort(key=lambda repair: repair.message)
    return repairs


def _extra_file_repairs(
    turns: Sequence[Turn], profile: OmniModelProfile
) -> Iterator[Repair]:
    last = _last_user(turns)
    for position, item in _files_to_demote(turns, profile):
        cap, inline_cap = _file_caps(item.kind, profile)
        limit = (
            f"{cap:,} {_NOUNS[item.kind]}(s) per request"
            if cap is not None and (inline_cap is None or not item.inline)
            else f"{inline_cap:,} inline (base64) {_NOUNS[item.kind]}(s) per request"
        )
        if position == last:
            msg = (
                f"{item.where}: this {_NOUNS[item.kind]} is one more than "
                f"{profile.family} takes ({limit}), in the message being asked "
                "about. Ask about each file in its own request, or send large "
                "sets by URL."
            )
            raise OmniInputError(msg)
        how = (
            "as text (a transcript: audio_block(..., transcript=...))"
            if item.kind == "audio"
            else "as text (a description)"
        )
        yield Repair(
            "extra_files",
            turns[position].index,
            f"{item.where}: {profile.family} takes {limit}, and a later message "
            f"holds one. Send the earlier {item.kind} {how}, or start a new "
            "conversation.",
            media=(item.kind,),
        )


# --- 3. repairs -----------------------------------------------------------------


def _moved_tool_media(turns: Sequence[Turn]) -> list[Turn]:
    """Move media out of tool results into a user turn after the run of results.

    The tool result keeps its text; the model sees the media right after, in
    a user message, where Omni takes media.
    """
    result: list[Turn] = []
    pending: list[Media] = []
    index = 0
    for turn in turns:
        if turn.role != "tool" and pending:
            result.append(Turn("user", index, tuple(pending)))
            pending = []
        if turn.role == "tool" and turn.media:
            pending.extend(turn.media)
            index = turn.index
            result.append(
                turn.with_parts(tuple(p for p in turn.parts if isinstance(p, Text)))
            )
        else:
            result.append(turn)
    if pending:
        result.append(Turn("user", index, tuple(pending)))
    return result


def _as_text(item: Media) -> Text:
    if item.kind == "audio" and item.transcript:
        return Text(item.transcript)
    return Text(item.describe())


def _demote_files(turns: Sequence[Turn], profile: OmniModelProfile) -> list[Turn]:
    """Send earlier files beyond the per-request counts as text."""
    demote: dict[int, set[int]] = {}
    for position, item in _files_to_demote(turns, profile):
        demote.setdefault(position, set()).add(id(item))
    result = list(turns)
    for position, ids in demote.items():
        turn = turns[position]
        parts = tuple(
            _as_text(part) if isinstance(part, Media) and id(part) in ids else part
            for part in turn.parts
        )
        result[position] = turn.with_parts(parts)
    return result


def _flatten_assistant_media(turns: Sequence[Turn]) -> list[Turn]:
    return [
        turn.with_parts((Text(turn.text),) if turn.text else ())
        if turn.role == "assistant" and turn.media
        else turn
        for turn in turns
    ]


def _subsample_frames(turns: Sequence[Turn], profile: OmniModelProfile) -> list[Turn]:
    limit = profile.frames_max
    result: list[Turn] = []
    for turn in turns:
        parts = tuple(
            dataclasses.replace(
                part,
                frames=tuple(
                    part.frames[i] for i in kept_frame_indices(len(part.frames), limit)
                ),
            )
            if isinstance(part, Media) and part.frames and len(part.frames) > limit
            else part
            for part in turn.parts
        )
        result.append(turn.with_parts(parts) if parts != turn.parts else turn)
    return result


def _split_mixed_media(turns: Sequence[Turn]) -> list[Turn]:
    """Split user turns with several kinds of media into one turn per kind.

    The new turns follow each other in the order the kinds first appear; the
    text goes with the last, so the question comes after all its media.
    """
    result: list[Turn] = []
    for turn in turns:
        kinds = turn.kinds()
        if turn.role != "user" or len(kinds) < 2:  # noqa: PLR2004
            result.append(turn)
            continue
        result.extend(
            turn.with_parts(
                tuple(p for p in turn.parts if isinstance(p, Media) and p.kind == kind)
            )
            for kind in kinds[:-1]
        )
        result.append(
            turn.with_parts(
                tuple(
                    p for p in turn.parts if isinstance(p, Text) or p.kind == kinds[-1]
                )
            )
        )
    return result


def _merge_system_prompt(turns: Sequence[Turn]) -> list[Turn]:
    """Move system turns into the start of the first user turn's text.

    For models that ignore a system message (with speech, or always): the
    instructions still reach the model, as part of the first turn.
    """
    prompt = "\n\n".join(text for t in turns if t.role == "system" and (text := t.text))
    rest = [t for t in turns if t.role != "system"]
    if not prompt:
        return rest
    for position, turn in enumerate(rest):
        if turn.role == "user":
            rest[position] = turn.with_parts(_prepend_text(turn.parts, prompt))
            return rest
    first = next(t.index for t in turns if t.role == "system")
    return [Turn("user", first, (Text(prompt),), as_string=True), *rest]


def _prepend_text(
    parts: tuple[Text | Media, ...], prompt: str
) -> tuple[Text | Media, ...]:
    for position, part in enumerate(parts):
        if isinstance(part, Text):
            text = f"{prompt}\n\n{part.text}" if part.text else prompt
            return (*parts[:position], Text(text), *parts[position + 1 :])
    return (*parts, Text(prompt))


def _repair_warning(
    kind: RepairKind, indexes: str, profile: OmniModelProfile, medium: str = ""
) -> str:
    if kind == "tool_media":
        return (
            f"Omni takes text only in tool results: moved the {medium} of tool "
            f"message(s) {indexes} into a user message right after them."
        )
    if kind == "extra_files":
        return (
            f"{profile.family} takes a limited number of files per request: sent "
            f"earlier {medium} files in message(s) {indexes} as text (their "
            "transcript, or a note naming the kind and length); the latest "
            "files are kept."
        )
    if kind == "assistant_media":
        return (
            "Omni takes text only in assistant turns: sent assistant message(s) "
            f"{indexes} as their text, without media."
        )
    if kind == "frames":
        return (
            f"Image sequence(s) in message(s) {indexes} exceed "
            f"{profile.frames_max:,} frames: evenly subsampled (order and first "
            "frame kept)."
        )
    if kind == "mixed_media":
        return (
            f"{profile.family} takes one kind of media per user message: split "
            f"message(s) {indexes} into one message per kind, the text kept in "
            "the last."
        )
    return (
        f"{profile.family} ignores system messages here: merged system message(s) "
        f"{indexes} into the first user message."
    )


_REPAIR_ORDER: tuple[RepairKind, ...] = (
    "tool_media",
    "extra_files",
    "assistant_media",
    "frames",
    "mixed_media",
    "system_prompt",
)
"""Moves first (they create user turns), then media changes; the system merge
last, so it lands in the final first user message."""


def _transform(
    kind: RepairKind, turns: Sequence[Turn], profile: OmniModelProfile
) -> list[Turn]:
    if kind == "tool_media":
        return _moved_tool_media(turns)
    if kind == "extra_files":
        return _demote_files(turns, profile)
    if kind == "assistant_media":
        return _flatten_assistant_media(turns)
    if kind == "frames":
        return _subsample_frames(turns, profile)
    if kind == "mixed_media":
        return _split_mixed_media(turns)
    return _merge_system_prompt(turns)


def apply_repairs(
    request: OmniRequest, repairs: Sequence[Repair], profile: OmniModelProfile
) -> OmniRequest:
    """Apply the repairs found; each kind warns once per model family."""
    by_kind: dict[RepairKind, list[Repair]] = {}
    for repair in repairs:
        by_kind.setdefault(repair.kind, []).append(repair)
    turns: Sequence[Turn] = request.turns
    for kind in _REPAIR_ORDER:
        if kind not in by_kind:
            continue
        turns = _transform(kind, turns, profile)
        found = by_kind[kind]
        indexes = ", ".join(str(i) for i in dict.fromkeys(r.message for r in found))
        media = sorted({m for r in found for m in r.media}) or [""]
        for medium in media:  # moved or demoted media warn once per kind
            warn_once(
                ("repair", profile.family, kind, medium),
                f"{_repair_warning(kind, indexes, profile, medium)} Pass "
                "strict=True to raise an error instead.",
            )
    return request.with_turns(tuple(turns))


# --- 4. limits that cannot be repaired -----------------------------------------


def check_limits(request: OmniRequest, profile: OmniModelProfile) -> None:
    """Check what cannot be repaired, on the measures the converter took.

    Raises:
        OmniInputError: The first broken limit, naming where (message, block,
            frame), the limit, the measured value and the fix.
    """
    _check_turns(request.turns, profile)
    data_urls = 0
    for turn in request.turns:
        if turn.role == "assistant":
            continue
        for item in turn.media:
            _check_capability(item, profile)
            if item.is_sequence:
                _check_frames(item, profile)
            else:
                _check_item(item, profile)
            data_urls += sum(1 for _ in item.data_items())
    if profile.data_urls_max is not None and data_urls > profile.data_urls_max:
        warn_once(
            ("data_urls", profile.family),
            f"The request holds {data_urls} base64 items; the API is reported to "
            f"take at most {profile.data_urls_max} data URLs per request. It is "
            "sent as is: pass large sets of media by URL if it is refused.",
        )


def _check_turns(turns: Sequence[Turn], profile: OmniModelProfile) -> None:
    if not profile.single_turn:
        return
    count = sum(1 for t in turns if t.role in {"user", "assistant", "tool"})
    if count > 1:
        msg = (
            f"{profile.family} answers a single user turn, but the conversation has "
            f"{count} user/assistant/tool messages. Send one user message."
        )
        raise OmniInputError(msg)


def _check_capability(item: Media, profile: OmniModelProfile) -> None:
    accepted = {
        "image": profile.image_input,
        "audio": profile.audio_input,
        "video": profile.video_input,
    }
    if not accepted[item.kind]:
        takes = [kind for kind, ok in accepted.items() if ok]
        msg = (
            f"{item.where}: {profile.family} does not take {item.kind} input "
            f"(it takes {', '.join(takes) or 'text'} only). Remove that block or "
            "use another model (e.g. qwen3.5-omni-flash)."
        )
        raise OmniInputError(msg)


def _check_frames(item: Media, profile: OmniModelProfile) -> None:
    frames = item.frames or ()
    if len(frames) < profile.frames_min:
        msg = (
            f"{item.where}: the image sequence has {len(frames)} frame(s); "
            f"{profile.family} takes {profile.frames_min} to {profile.frames_max:,}. "
            "Add frames, or send the images as separate image blocks."
        )
        raise OmniInputError(msg)
    for frame in frames:
        _check_item(frame, profile)


def _max_bytes(kind: Kind, profile: OmniModelProfile) -> int:
    return {
        "image": profile.image_max_bytes,
        "audio": profile.audio_max_bytes,
        "video": profile.video_max_bytes,
    }[kind]


def _check_item(item: Media, profile: OmniModelProfile) -> None:
    """Check one file or frame; remote media cannot be measured here."""
    if item.b64 is None:
        return
    length = item.data_url_length
    if length > profile.data_url_max_bytes:
        msg = (
            f"{item.where}: the {item.kind} data URL is {length:,} bytes; the API "
            f"caps each data URL at {profile.data_url_max_bytes:,} bytes. "
            "Pass an http(s) URL instead of base64 for files over 7 MB."
        )
        raise OmniInputError(msg)
    size = item.size or 0
    limit = _max_bytes(item.kind, profile)
    if size > limit:
        msg = (
            f"{item.where}: the {item.kind} is {size:,} bytes; {profile.family} "
            f"accepts at most {limit:,} bytes. Compress or shorten it."
        )
        raise OmniInputError(msg)
    if item.kind == "image":
        if item.width is not None and item.height is not None:
            _check_dimensions(item.width, item.height, item.where, profile)
        return
    if item.kind == "audio" and size == 0:
        msg = f"{item.where}: the audio is empty (0 bytes). Send a recording."
        raise OmniInputError(msg)
    _check_duration(item, profile)


def _check_duration(item: Media, profile: OmniModelProfile) -> None:
    seconds = item.seconds
    if seconds is None:
        return
    if item.kind == "audio" and seconds > profile.audio_max_seconds:
        msg = (
            f"{item.where}: the audio lasts {seconds:.2f} s; {profile.family} "
            f"accepts at most {profile.audio_max_seconds:g} s. Trim it or split "
            "it over several requests."
        )
        raise OmniInputError(msg)
    if item.kind != "video":
        return
    if seconds > profile.video_max_seconds:
        msg = (
            f"{item.where}: the video lasts {seconds:.2f} s; {profile.family} "
            f"accepts at most {profile.video_max_seconds:g} s. Trim it, split "
            "it into segments (DescribeVideoTool does), or send sampled frames "
            "(video_frames_block)."
        )
        raise OmniInputError(msg)
    if seconds < profile.video_min_seconds:
        msg = (
            f"{item.where}: the video lasts {seconds:.2f} s; {profile.family} "
            f"needs at least {profile.video_min_seconds:g} s. Send its frames "
            "as images instead."
        )
        raise OmniInputError(msg)


def _check_dimensions(
    width: int, height: int, where: str, profile: OmniModelProfile
) -> None:
    side = profile.image_min_side_px
    if width <= side or height <= side:
        msg = (
            f"{where}: the image is {width}x{height} px; width and height must be "
            f"over {side} px. Use a larger image (upscale it)."
        )
        raise OmniInputError(msg)
    ratio = max(width, height) / min(width, height)
    if ratio > profile.image_max_aspect_ratio:
        msg = (
            f"{where}: the image is {width}x{height} px, an aspect ratio of "
            f"{ratio:.1f}:1; the limit is {profile.image_max_aspect_ratio:g}:1. "
            "Crop or pad it."
        )
        raise OmniInputError(msg)


# --- all together ---------------------------------------------------------------


def check_request(
    request: OmniRequest, profile: OmniModelProfile, *, strict: bool = False
) -> OmniRequest:
    """Check a request and return it with its conversation repaired.

    Args:
        request: The typed request, media already measured.
        profile: The model's effective limits.
        strict: Raise `OmniConversationError` instead of repairing.

    Returns:
        A new request; the input is not modified.

    Raises:
        OmniInputError: A parameter or a limit that cannot be repaired.
        OmniConversationError: Under `strict=True`, a rule that could be.
    """
    check_parameters(request.params, profile)
    repairs = find_repairs(request, profile)
    if repairs and strict:
        first = repairs[0]
        more = f" ({len(repairs) - 1} more rule(s) broken.)" if len(repairs) > 1 else ""
        msg = f"{first.detail} Or pass strict=False to repair it automatically.{more}"
        raise OmniConversationError(msg)
    if repairs:
        request = apply_repairs(request, repairs, profile)
    check_limits(request, profile)
    return request
