"""Omni's conversation rules and media limits, checked before any request.

Pure functions over the wire request (the output of `convert_messages` plus
the request parameters), run by `ChatQwenOmni._build_payload`:

1. `check_parameters`: modalities, voice, speech with thinking, `max_tokens`.
2. `find_repairs`: rules that can be repaired without changing meaning
   (assistant media, a system prompt the model would ignore, several kinds
   of media in one user message, too many frames). Under `strict=True` the
   first one raises `OmniConversationError`.
3. `check_limits`: what cannot be repaired (URL schemes, data URL cap,
   sizes, image dimensions, durations, one audio and one video file per
   request, frame minimum, capabilities) raises `OmniInputError` naming the
   message and block, the limit, the measured value and the fix.
4. `apply_repairs`: the repairs, each kind logged once at WARNING.

`check_request` runs the four in that order. Limits are checked on the
messages as the user gave them, so error indexes match the user's list.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from langchain_qwen_omni import _probe
from langchain_qwen_omni.errors import OmniConversationError, OmniInputError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langchain_qwen_omni.profiles import OmniModelProfile

logger = logging.getLogger(__name__)

__all__ = [
    "MediaPart",
    "Repair",
    "apply_repairs",
    "check_limits",
    "check_parameters",
    "check_request",
    "find_repairs",
    "flatten_assistant_media",
    "iter_media_parts",
    "kept_frame_indices",
    "media_kind",
    "media_kinds",
    "merge_system_prompt",
    "split_mixed_media",
    "subsample_frames",
    "wants_speech",
]

MediaKind = Literal["image", "audio", "video"]
"""What a user message holds, for the one-kind-per-message rule."""
RepairKind = Literal["assistant_media", "system_prompt", "mixed_media", "frames"]

_KIND_OF_PART: dict[str, MediaKind] = {
    "image_url": "image",
    "input_audio": "audio",
    "video_url": "video",
    "video": "video",
}
_MODALITY_SETS = ({"text"}, {"text", "audio"})
_IMAGE_HEAD = 256 * 1024
"""Decoded bytes kept of an image: enough for every header `image_size` reads."""
_FILE_HINT = (
    "read local files with image_block/audio_block/video_block (they embed the "
    "bytes as base64), or serve them over https"
)


# --- reading the wire request ---------------------------------------------------


def wants_speech(payload: Mapping[str, Any]) -> bool:
    """Tell whether the request asks for speech (`"audio"` in `modalities`)."""
    modalities = payload.get("modalities")
    return isinstance(modalities, (list, tuple)) and "audio" in modalities


def media_kind(part: object) -> MediaKind | None:
    """The media kind of a wire part, `None` for text and anything else."""
    if isinstance(part, Mapping):
        return _KIND_OF_PART.get(str(part.get("type")))
    return None


def _content_parts(message: Mapping[str, Any]) -> list[Any]:
    content = message.get("content")
    return content if isinstance(content, list) else []


def media_kinds(message: Mapping[str, Any]) -> list[MediaKind]:
    """A wire message's media kinds, in order of first appearance."""
    kinds: list[MediaKind] = []
    for part in _content_parts(message):
        kind = media_kind(part)
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    return kinds


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(
        str(part.get("text", ""))
        for part in _content_parts(message)
        if isinstance(part, Mapping) and part.get("type") == "text"
    )


@dataclasses.dataclass(frozen=True)
class MediaPart:
    """One media part of a wire message, with where it sits."""

    message: int
    """Index of the message in the request."""
    block: int
    """Index of the part in the message's content."""
    part: Mapping[str, Any]
    """The wire part itself."""

    @property
    def kind(self) -> MediaKind:
        """`image`, `audio` or `video` (a video file or an image sequence)."""
        kind = media_kind(self.part)
        if kind is None:  # pragma: no cover - iter_media_parts yields media only
            msg = f"not a media part: {self.part.get('type')!r}"
            raise ValueError(msg)
        return kind

    @property
    def where(self) -> str:
        """`Message 2, block 1`: the start of every error about this part."""
        return f"Message {self.message}, block {self.block}"


def iter_media_parts(messages: Sequence[Mapping[str, Any]]) -> Iterator[MediaPart]:
    """Yield the media parts of all messages except assistant ones.

    Assistant media never reaches the API (it is flattened or refused), so it
    is neither counted nor measured.
    """
    for message_index, message in enumerate(messages):
        if message.get("role") == "assistant":
            continue
        for block_index, part in enumerate(_content_parts(message)):
            if media_kind(part) is not None:
                yield MediaPart(message_index, block_index, part)


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


def check_parameters(payload: Mapping[str, Any], profile: OmniModelProfile) -> None:
    """Check the request parameters against the model.

    Raises:
        OmniInputError: `modalities` is not `["text"]` or `["text", "audio"]`,
            speech is asked of a model that cannot speak or together with
            thinking, the voice or audio format is not accepted, or
            `max_tokens` is out of range.
    """
    modalities = payload.get("modalities", ["text"])
    if (
        not isinstance(modalities, (list, tuple))
        or not all(isinstance(name, str) for name in modalities)
        or set(modalities) not in _MODALITY_SETS
    ):
        msg = f'modalities must be ["text"] or ["text", "audio"], got {modalities!r}.'
        raise OmniInputError(msg)
    speech = "audio" in modalities
    if speech and not profile.audio_output:
        msg = (
            f"{profile.family} cannot speak: use modalities=['text'] (or, if a "
            "newer version of this model speaks, pass limits={'audio_output': True})."
        )
        raise OmniInputError(msg)
    if speech and payload.get("enable_thinking"):
        msg = (
            "Speech cannot be requested with thinking: the API allows only "
            'modalities=["text"] when enable_thinking=True. Drop one of them.'
        )
        raise OmniInputError(msg)
    audio = payload.get("audio")
    if speech and isinstance(audio, Mapping):
        _check_voice(audio.get("voice"), profile)
        if audio.get("format", "wav") != "wav":
            msg = (
                f"audio format {audio.get('format')!r} is not accepted: the API "
                "takes only 'wav' (and streams raw PCM whatever the format)."
            )
            raise OmniInputError(msg)
    max_tokens = payload.get("max_tokens")
    if isinstance(max_tokens, int) and not 1 <= max_tokens <= profile.max_output_tokens:
        msg = (
            f"max_tokens={max_tokens} is outside [1, {profile.max_output_tokens:,}], "
            f"the range of {profile.family}. Lower it."
        )
        raise OmniInputError(msg)


def _check_voice(voice: object, profile: OmniModelProfile) -> None:
    if voice is None or not profile.voices:
        return
    if voice in profile.voices:
        return
    if not profile.voices_complete and isinstance(voice, str):
        _warn_unlisted_voice(profile.family, voice)
        return
    choices = ", ".join(f"'{name}'" for name in profile.voices)
    hint = next(
        (
            f" Did you mean '{name}'?"
            for name in profile.voices
            if isinstance(voice, str) and name.lower() == voice.lower()
        ),
        "",
    )
    msg = (
        f"Voice {voice!r} is not available on {profile.family}; choose one of "
        f"{choices}.{hint}"
    )
    raise OmniInputError(msg)


@lru_cache(maxsize=32)
def _warn_unlisted_voice(family: str, voice: str) -> None:
    """Warn once per model and voice: the table lists only documented voices."""
    logger.warning(
        "Voice %r is not among the voices documented for %s; it is sent as given, "
        "and the API will refuse it if it does not exist.",
        voice,
        family,
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


def _system_ignored(profile: OmniModelProfile, *, speech: bool) -> bool:
    return not profile.system_message or (
        speech and not profile.system_with_audio_output
    )


def find_repairs(
    messages: Sequence[Mapping[str, Any]],
    profile: OmniModelProfile,
    *,
    speech: bool,
) -> list[Repair]:
    """List the repairable rules the conversation breaks, in message order."""
    repairs: list[Repair] = []
    system_ignored = _system_ignored(profile, speech=speech)
    for index, message in enumerate(messages):
        role = message.get("role")
        kinds = media_kinds(message)
        if role == "assistant" and kinds:
            repairs.append(
                Repair(
                    "assistant_media",
                    index,
                    f"Message {index} is an assistant message with "
                    f"{' and '.join(kinds)}; Omni takes text only in assistant "
                    "turns. Send its text (the transcript) instead.",
                )
            )
        elif role == "system" and system_ignored:
            why = (
                "takes no system message"
                if not profile.system_message
                else "ignores the system message when speech is requested"
            )
            repairs.append(
                Repair(
                    "system_prompt",
                    index,
                    f"Message {index} is a system message, but {profile.family} "
                    f"{why}. Put its text in the first user message instead.",
                )
            )
        elif role == "user" and len(kinds) > 1:
            repairs.append(
                Repair(
                    "mixed_media",
                    index,
                    f"Message {index} holds {', '.join(kinds)}; Omni takes one "
                    "kind of media per user message. Split it into one message "
                    "per kind.",
                )
            )
        if role != "assistant":
            repairs.extend(_frame_repairs(message, index, profile))
    return repairs


def _frame_repairs(
    message: Mapping[str, Any], index: int, profile: OmniModelProfile
) -> Iterator[Repair]:
    for block, part in enumerate(_content_parts(message)):
        if _too_many_frames(part, profile):
            frames = part["video"]
            yield Repair(
                "frames",
                index,
                f"Message {index}, block {block}: the image sequence has "
                f"{len(frames)} frames; {profile.family} takes at most "
                f"{profile.frames_max}. Send fewer frames (sample them evenly).",
            )


# --- 3. limits that cannot be repaired -----------------------------------------


@dataclasses.dataclass(frozen=True)
class _Facts:
    """What was measured of one data URL; the decoded bytes are not kept."""

    size: int
    dimensions: tuple[int, int] | None = None
    seconds: float | None = None


_FactsCache = dict[tuple[str, str], _Facts]


def check_limits(
    messages: Sequence[Mapping[str, Any]], profile: OmniModelProfile
) -> None:
    """Check what cannot be repaired, each data URL decoded once.

    Raises:
        OmniInputError: The first broken limit, naming where (message, block,
            frame), the limit, the measured value and the fix.
    """
    _check_turns(messages, profile)
    cache: _FactsCache = {}
    first_file: dict[str, MediaPart] = {}
    for media in iter_media_parts(messages):
        _check_capability(media, profile)
        part_type = str(media.part.get("type"))
        if part_type == "video":
            _check_frames(media, profile, cache)
            continue
        if part_type in {"input_audio", "video_url"}:
            first = first_file.setdefault(part_type, media)
            if first is not media:
                _raise_second_file(media, first)
        value = _url_of(media)
        _check_item(value, media.kind, media.where, profile, cache)


def _check_turns(
    messages: Sequence[Mapping[str, Any]], profile: OmniModelProfile
) -> None:
    if not profile.single_turn:
        return
    turns = [m for m in messages if str(m.get("role")) in {"user", "assistant", "tool"}]
    if len(turns) > 1:
        msg = (
            f"{profile.family} answers a single user turn, but the conversation has "
            f"{len(turns)} user/assistant/tool messages. Send one user message."
        )
        raise OmniInputError(msg)


def _check_capability(media: MediaPart, profile: OmniModelProfile) -> None:
    accepted = {
        "image": profile.image_input,
        "audio": profile.audio_input,
        "video": profile.video_input,
    }
    if not accepted[media.kind]:
        takes = [kind for kind, ok in accepted.items() if ok]
        msg = (
            f"{media.where}: {profile.family} does not take {media.kind} input "
            f"(it takes {', '.join(takes) or 'text'} only). Remove that block or "
            "use another model (e.g. qwen3-omni-flash)."
        )
        raise OmniInputError(msg)


def _raise_second_file(media: MediaPart, first: MediaPart) -> None:
    noun = "audio file" if media.kind == "audio" else "video file"
    msg = (
        f"{media.where}: a second {noun} in one request (the first is in message "
        f"{first.message}, block {first.block}); Omni takes one {noun} per request. "
        "Send earlier ones as text (a transcript or a description), or ask about "
        "each file in its own request."
    )
    raise OmniInputError(msg)


def _url_of(media: MediaPart) -> object:
    """The URL (or audio data) of an `image_url`, `input_audio` or `video_url`."""
    part_type = str(media.part.get("type"))
    key = "data" if part_type == "input_audio" else "url"
    inner = media.part.get(part_type)
    if isinstance(inner, str) and part_type != "input_audio":
        return inner  # the short form {"image_url": "https://..."}
    if not isinstance(inner, Mapping) or key not in inner:
        msg = (
            f"{media.where}: a {part_type} part needs "
            f'{{"{part_type}": {{"{key}": ...}}}}, got {_shape(inner)}.'
        )
        raise OmniInputError(msg)
    return inner[key]


def _shape(value: object) -> str:
    if isinstance(value, Mapping):
        return f"an object with keys {sorted(map(str, value))}"
    return f"a {type(value).__name__}"


def _check_frames(
    media: MediaPart, profile: OmniModelProfile, cache: _FactsCache
) -> None:
    frames = media.part.get("video")
    if not isinstance(frames, list):
        msg = (
            f"{media.where}: an image sequence needs "
            f'{{"type": "video", "video": [<frame URLs>]}}, got {_shape(frames)}.'
        )
        raise OmniInputError(msg)
    if len(frames) < profile.frames_min:
        msg = (
            f"{media.where}: the image sequence has {len(frames)} frame(s); "
            f"{profile.family} takes {profile.frames_min} to {profile.frames_max}. "
            "Add frames, or send the images as separate image blocks."
        )
        raise OmniInputError(msg)
    for index in kept_frame_indices(len(frames), profile.frames_max):
        where = f"{media.where}, frame {index}"
        _check_item(frames[index], "image", where, profile, cache)


def _check_item(
    value: object,
    kind: MediaKind,
    where: str,
    profile: OmniModelProfile,
    cache: _FactsCache,
) -> None:
    """Check one URL or data URL; only data URLs can be measured here."""
    if not isinstance(value, str):
        msg = f"{where}: the {kind} URL must be a string, got {_shape(value)}."
        raise OmniInputError(msg)
    scheme = value[:8].lower()
    if scheme.startswith(("http://", "https://")):
        return
    if not scheme.startswith("data:"):
        raise OmniInputError(_bad_scheme(value, kind, where))
    if len(value) > profile.data_url_max_bytes:
        msg = (
            f"{where}: the {kind} data URL is {len(value):,} bytes; the API caps "
            f"each data URL at {profile.data_url_max_bytes:,} bytes. "
            "Pass an http(s) URL instead of base64 for files over 7 MB."
        )
        raise OmniInputError(msg)
    facts = cache.get((kind, value))
    if facts is None:
        facts = cache[kind, value] = _measure(value, kind, where, profile)
    _check_facts(facts, kind, where, profile)


def _bad_scheme(value: str, kind: MediaKind, where: str) -> str:
    head, sep, _ = value.partition(":")
    if value[:7].lower() == "file://":
        return (
            f"{where}: file:// URLs are refused (the API cannot read your disk); "
            f"{_FILE_HINT}."
        )
    if kind == "audio" and not sep:
        return (
            f"{where}: bare base64 audio is not accepted; use a data URL "
            "'data:;base64,<data>' with the 'format' field (audio_block does this)."
        )
    scheme = f"scheme '{head[:20]}'" if sep and len(head) <= 20 else "no scheme"  # noqa: PLR2004
    return (
        f"{where}: the {kind} URL has {scheme}; only http://, https:// and data: "
        f"URLs are accepted. For local files, {_FILE_HINT}."
    )


def _max_bytes(kind: MediaKind, profile: OmniModelProfile) -> int:
    return {
        "image": profile.image_max_bytes,
        "audio": profile.audio_max_bytes,
        "video": profile.video_max_bytes,
    }[kind]


def _measure(
    url: str, kind: MediaKind, where: str, profile: OmniModelProfile
) -> _Facts:
    """Decode a data URL once, check its size, probe it, and drop the bytes.

    An image needs only its header, so only the head is kept (the whole text
    is still checked); a header beyond it (a JPEG with a large EXIF block)
    costs a second, full decode.
    """
    try:
        _, data, size = _probe.decode_data_url(
            url, keep=_IMAGE_HEAD if kind == "image" else None
        )
    except OmniInputError as exc:
        msg = f"{where}: {exc}. Encode the file with base64.b64encode."
        raise OmniInputError(msg) from None
    limit = _max_bytes(kind, profile)
    if size > limit:
        msg = (
            f"{where}: the {kind} is {size:,} bytes; {profile.family} accepts "
            f"at most {limit:,} bytes. Compress or shorten it."
        )
        raise OmniInputError(msg)
    if kind == "image":
        dimensions = _probe.image_size(data)
        if dimensions is None and len(data) < size:
            dimensions = _probe.image_size(_probe.decode_data_url(url)[1])
        return _Facts(size, dimensions=dimensions)
    if kind == "audio":
        if not data:
            msg = f"{where}: the audio is empty (0 bytes). Send a recording."
            raise OmniInputError(msg)
        return _Facts(size, seconds=_probe.audio_duration(data))
    return _Facts(size, seconds=_probe.video_duration(data))


def _check_facts(
    facts: _Facts, kind: MediaKind, where: str, profile: OmniModelProfile
) -> None:
    if kind == "image" and facts.dimensions is not None:
        _check_dimensions(*facts.dimensions, where, profile)
    elif kind == "audio" and facts.seconds is not None:
        if facts.seconds > profile.audio_max_seconds:
            msg = (
                f"{where}: the audio lasts {facts.seconds:.2f} s; {profile.family} "
                f"accepts at most {profile.audio_max_seconds:g} s. Trim it or split "
                "it over several requests."
            )
            raise OmniInputError(msg)
    elif kind == "video" and facts.seconds is not None:
        if facts.seconds > profile.video_max_seconds:
            msg = (
                f"{where}: the video lasts {facts.seconds:.2f} s; {profile.family} "
                f"accepts at most {profile.video_max_seconds:g} s. Trim it, split "
                "it into segments, or send sampled frames (video_frames_block)."
            )
            raise OmniInputError(msg)
        if facts.seconds < profile.video_min_seconds:
            msg = (
                f"{where}: the video lasts {facts.seconds:.2f} s; {profile.family} "
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


# --- 4. repairs -----------------------------------------------------------------


def flatten_assistant_media(
    messages: Sequence[Mapping[str, Any]],
) -> list[Mapping[str, Any]]:
    """Send assistant turns that hold media as their text only."""
    return [
        {**message, "content": _text_of(message)}
        if message.get("role") == "assistant" and media_kinds(message)
        else message
        for message in messages
    ]


def merge_system_prompt(
    messages: Sequence[Mapping[str, Any]],
) -> list[Mapping[str, Any]]:
    """Move system messages into the start of the first user message's text.

    For models that ignore a system message (with speech, or always): the
    instructions still reach the model, as part of the first turn.
    """
    prompt = "\n\n".join(
        text for m in messages if m.get("role") == "system" and (text := _text_of(m))
    )
    rest = [m for m in messages if m.get("role") != "system"]
    if not prompt:
        return rest
    for index, message in enumerate(rest):
        if message.get("role") == "user":
            rest[index] = {**message, "content": _prepend_text(message, prompt)}
            return rest
    return [{"role": "user", "content": prompt}, *rest]


def _prepend_text(message: Mapping[str, Any], prompt: str) -> str | list[Any]:
    content = message.get("content")
    if isinstance(content, str):
        return f"{prompt}\n\n{content}" if content else prompt
    parts = list(_content_parts(message))
    for index, part in enumerate(parts):
        if isinstance(part, Mapping) and part.get("type") == "text":
            text = str(part.get("text", ""))
            parts[index] = {**part, "text": f"{prompt}\n\n{text}" if text else prompt}
            return parts
    return [*parts, {"type": "text", "text": prompt}]


def split_mixed_media(
    messages: Sequence[Mapping[str, Any]],
) -> list[Mapping[str, Any]]:
    """Split user messages with several kinds of media into one message per kind.

    The new messages follow each other in the order the kinds first appear;
    the text goes with the last, so the question comes after all its media.
    """
    result: list[Mapping[str, Any]] = []
    for message in messages:
        kinds = media_kinds(message)
        if message.get("role") != "user" or len(kinds) < 2:  # noqa: PLR2004
            result.append(message)
            continue
        parts = _content_parts(message)
        result.extend(
            {**message, "content": [p for p in parts if media_kind(p) == kind]}
            for kind in kinds[:-1]
        )
        last = [p for p in parts if media_kind(p) in {kinds[-1], None}]
        result.append({**message, "content": last})
    return result


def subsample_frames(
    messages: Sequence[Mapping[str, Any]], profile: OmniModelProfile
) -> list[Mapping[str, Any]]:
    """Evenly subsample image sequences longer than `profile.frames_max`."""
    result: list[Mapping[str, Any]] = []
    for message in messages:
        parts = _content_parts(message)
        if not any(_too_many_frames(part, profile) for part in parts):
            result.append(message)
            continue
        content = [
            {**part, "video": _subsample(part["video"], profile.frames_max)}
            if _too_many_frames(part, profile)
            else part
            for part in parts
        ]
        result.append({**message, "content": content})
    return result


def _too_many_frames(part: object, profile: OmniModelProfile) -> bool:
    return (
        isinstance(part, Mapping)
        and part.get("type") == "video"
        and isinstance(part.get("video"), list)
        and len(part["video"]) > profile.frames_max
    )


def _subsample(frames: list[Any], limit: int) -> list[Any]:
    return [frames[i] for i in kept_frame_indices(len(frames), limit)]


def _repair_warning(kind: RepairKind, indexes: str, profile: OmniModelProfile) -> str:
    if kind == "assistant_media":
        return (
            "Omni takes text only in assistant turns: sent assistant message(s) "
            f"{indexes} as their text, without media."
        )
    if kind == "frames":
        return (
            f"Image sequence(s) in message(s) {indexes} exceed {profile.frames_max} "
            "frames: evenly subsampled (order and first frame kept)."
        )
    if kind == "mixed_media":
        return (
            "Omni takes one kind of media per user message: split message(s) "
            f"{indexes} into one message per kind, the text kept in the last."
        )
    return (
        f"{profile.family} ignores system messages here: merged system message(s) "
        f"{indexes} into the first user message."
    )


_REPAIR_ORDER: tuple[RepairKind, ...] = (
    "assistant_media",
    "frames",
    "mixed_media",
    "system_prompt",
)
"""Media changes first, the system merge last, so it lands in the final first
user message."""


def _transform(
    kind: RepairKind,
    messages: Sequence[Mapping[str, Any]],
    profile: OmniModelProfile,
) -> list[Mapping[str, Any]]:
    if kind == "assistant_media":
        return flatten_assistant_media(messages)
    if kind == "frames":
        return subsample_frames(messages, profile)
    if kind == "mixed_media":
        return split_mixed_media(messages)
    return merge_system_prompt(messages)


def apply_repairs(
    messages: Sequence[Mapping[str, Any]],
    repairs: Sequence[Repair],
    profile: OmniModelProfile,
) -> list[Mapping[str, Any]]:
    """Apply the repairs found; each kind warns once per model family."""
    by_kind: dict[RepairKind, list[int]] = {}
    for repair in repairs:
        by_kind.setdefault(repair.kind, []).append(repair.message)
    result = list(messages)
    for kind in _REPAIR_ORDER:
        if kind in by_kind:
            result = _transform(kind, result, profile)
            first = (profile.family, kind) not in _REPAIRS_LOGGED
            _REPAIRS_LOGGED.add((profile.family, kind))
            logger.log(
                logging.WARNING if first else logging.DEBUG,
                "%s Pass strict=True to raise an error instead.%s",
                _repair_warning(kind, _indexes(by_kind[kind]), profile),
                " (Logged once at WARNING per model and repair.)" if first else "",
            )
    return result


_REPAIRS_LOGGED: set[tuple[str, str]] = set()
"""(model family, repair kind) already logged at WARNING in this process.

An agent re-sends its history on every turn, so the same repair would
otherwise warn on every call; later repairs are logged at DEBUG."""


def _indexes(indexes: list[int]) -> str:
    return ", ".join(str(i) for i in dict.fromkeys(indexes))


# --- all together ---------------------------------------------------------------


def check_request(
    payload: Mapping[str, Any], profile: OmniModelProfile, *, strict: bool = False
) -> dict[str, Any]:
    """Check a wire request and return it with its conversation repaired.

    Args:
        payload: The request body, `messages` already in wire shape.
        profile: The model's effective limits.
        strict: Raise `OmniConversationError` instead of repairing.

    Returns:
        A new body; the input is not modified.

    Raises:
        OmniInputError: A parameter or a limit that cannot be repaired.
        OmniConversationError: Under `strict=True`, a rule that could be.
    """
    check_parameters(payload, profile)
    messages: list[Mapping[str, Any]] = list(payload.get("messages") or [])
    repairs = find_repairs(messages, profile, speech=wants_speech(payload))
    if repairs and strict:
        first = repairs[0]
        more = f" ({len(repairs) - 1} more rule(s) broken.)" if len(repairs) > 1 else ""
        msg = f"{first.detail} Or pass strict=False to repair it automatically.{more}"
        raise OmniConversationError(msg)
    check_limits(messages, profile)
    if repairs:
        messages = apply_repairs(messages, repairs, profile)
    return {**payload, "messages": messages}
