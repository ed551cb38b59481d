"""The conversation and its media, judged per family from the emulator's facts.

The client checks its requests before sending; these validators let tests
show what happens to a request that skips those checks, or that the client
got wrong: a 400 `invalid_parameter_error`, as from DashScope. Limits come
from `emulator.facts` (written from the public docs, never from the client),
and only facts the doc is sure of refuse (see `facts.judge`).

Error texts documented by the API are reproduced exactly:
`Exceeded limit on max bytes per data-uri item : 10485760`,
`Exceeded limit on max data-uri per request: 250`,
`Multimodal file size is too large`, `The audio is empty`,
`The provided URL does not appear to be valid.`,
`The image length and width do not meet the model restrictions.`,
`Failed to decode the image during the data inspection.`,
`The file format is illegal and cannot be opened.` and
`The video modality input does not meet the requirements because: The video
file is too long.` Where the API's text is not documented, the emulator words
it in the same style; those texts are marked "emulator wording" below.

`media_details` describes the inline media of a message (format, pixels,
seconds, bytes) for the emulator's answer text.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni.emulator.errors import EmulatorError, invalid_parameter
from langchain_qwen_omni.emulator.facts import judge
from langchain_qwen_omni.emulator.measure import DataUrlError, measure
from langchain_qwen_omni.emulator.params import facts_of
from langchain_qwen_omni.emulator.wire import read_request

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_qwen_omni.emulator.facts import FamilyFacts, MediaKind
    from langchain_qwen_omni.emulator.measure import Measured
    from langchain_qwen_omni.emulator.wire import MediaRef, WireMessage, WireRequest

__all__ = [
    "check_conversation",
    "check_counts",
    "check_media",
    "media_details",
]

_INVALID_URL = "The provided URL does not appear to be valid."
_TOO_LARGE = "Multimodal file size is too large"
_BAD_IMAGE = "Failed to decode the image during the data inspection."
_IMAGE_SIDES = "The image length and width do not meet the model restrictions."
_ILLEGAL_FORMAT = "The file format is illegal and cannot be opened."
_FILE_PARTS: dict[str, MediaKind] = {
    "image_url": "image",
    "input_audio": "audio",
    "video_url": "video",
}
"""Parts that carry one file each; an image sequence is counted by its frames."""


def _requirements(kind: MediaKind, reason: str) -> str:
    """The API's phrasing for media that breaks a limit."""
    return f"The {kind} modality input does not meet the requirements because: {reason}"


def _refuse(message: str | None) -> EmulatorError | None:
    return None if message is None else invalid_parameter(message)


# --- the conversation ------------------------------------------------------------


def check_conversation(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """The shape of the conversation: parts the API takes, and who holds what.

    Unknown roles and part types (an unconverted LangChain block) are
    refused; assistant turns hold text only; on families that take "text +
    one kind", a user message mixes no media kinds; image sequences have as
    many frames as the family takes.
    """
    request = read_request(body)
    if request.problems:
        return invalid_parameter(request.problems[0])
    facts = facts_of(body)
    for message in request.messages:
        error = _message_error(message, facts)
        if error is not None:
            return _refuse(error)
    return None


def _message_error(message: WireMessage, facts: FamilyFacts) -> str | None:
    kinds = message.kinds
    if message.role == "assistant" and kinds:
        return "The content of an assistant message may contain text only."
    if message.role == "user" and len(kinds) > 1 and not facts.mixed_media:
        refusal = judge(
            facts,
            "mixed_media",
            "The input messages do not meet the requirements: a user message "
            "may contain only one type of multimodal input (image, audio or "
            "video).",
        )  # emulator wording
        if refusal is not None:
            return refusal
    for part in message.files:
        if part.type != "video" or facts.frames_min is None or facts.frames_max is None:
            continue
        if not facts.frames_min <= len(part.media) <= facts.frames_max:
            refusal = judge(
                facts,
                "frames_max" if len(part.media) > facts.frames_max else "frames_min",
                _requirements(
                    "video",
                    f"The number of images must be between {facts.frames_min} "
                    f"and {facts.frames_max}.",
                ),
            )  # emulator wording
            if refusal is not None:
                return refusal
    return None


# --- counts per request ----------------------------------------------------------


def check_counts(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Files of each kind per request (by URL and as base64), and data URLs.

    One-file families (qwen3-omni-flash, turbo, Qwen2.5) take one audio and
    one video file in the whole conversation; Qwen3.5/3.8 take hundreds,
    with fewer as base64. The 250 data URLs per request is an M fact, so
    going over it is accepted (and logged).
    """
    request = read_request(body)
    facts = facts_of(body)
    return _refuse(_count_error(request, facts))


def _count_error(request: WireRequest, facts: FamilyFacts) -> str | None:
    counts: collections.Counter[tuple[MediaKind, bool]] = collections.Counter()
    for ref in request.media():
        if ref.part_type in _FILE_PARTS:
            counts[ref.kind, ref.inline] += 1
    for kind in ("image", "audio", "video"):
        error = _kind_count_error(kind, counts[kind, False], counts[kind, True], facts)
        if error is not None and (refusal := judge(facts, "files", error)):
            return refusal
    inline = sum(1 for ref in request.media() if ref.inline)
    if inline > facts.data_urls_per_request:
        return judge(
            facts,
            "data_urls_per_request",
            "Exceeded limit on max data-uri per request: "
            f"{facts.data_urls_per_request}",
        )
    return None


def _kind_count_error(
    kind: MediaKind, by_url: int, by_base64: int, facts: FamilyFacts
) -> str | None:
    limit = facts.files[kind]
    noun = "image" if kind == "image" else f"{kind} file"
    if limit.total == 1 and by_url + by_base64 > 1:
        return (
            "The input messages do not meet the requirements: only one "
            f"{noun} is supported per request."
        )  # emulator wording
    checks = (
        (by_base64, limit.by_base64, "as base64 data "),
        (by_url, limit.by_url, "by URL "),
        (by_url + by_base64, limit.total, ""),
    )
    for count, most, how in checks:
        if most is not None and count > most:
            return (
                "The input messages do not meet the requirements: at most "
                f"{most} {noun}s may be sent {how}in one request."
            )  # emulator wording
    return None


# --- media ------------------------------------------------------------------------


def check_media(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """URLs, the data URL cap, formats, decoded sizes, image sides, durations.

    Each data URL is decoded once; remote URLs are not fetched.
    """
    facts = facts_of(body)
    seen: set[tuple[MediaKind, str]] = set()
    for ref in read_request(body).media():
        if (ref.kind, ref.url) in seen:
            continue
        seen.add((ref.kind, ref.url))
        if (error := _item_error(ref, facts)) is not None:
            return invalid_parameter(error)
    return None


def _item_error(ref: MediaRef, facts: FamilyFacts) -> str | None:
    scheme = ref.url[:8].lower()
    if scheme.startswith(("http://", "https://")):
        return None
    if not ref.inline:
        return _INVALID_URL
    if len(ref.url) > facts.data_url_max_bytes:
        cap = facts.data_url_max_bytes
        message = f"Exceeded limit on max bytes per data-uri item : {cap}"
        return judge(facts, "data_url_max_bytes", message)
    try:
        measured = measure(ref)
    except DataUrlError:
        return _INVALID_URL
    if measured is None:
        return None
    checks = {"image": _image_error, "audio": _audio_error, "video": _video_error}
    return checks[ref.kind](measured, facts)


def _over(value: float | None, limit: float | None) -> bool:
    return value is not None and limit is not None and value > limit


def _image_error(measured: Measured, facts: FamilyFacts) -> str | None:
    if not measured.size:
        return _BAD_IMAGE
    if _over(measured.size, facts.image_max_bytes):
        return judge(facts, "image_max_bytes", _TOO_LARGE)
    if measured.width is None or measured.height is None:
        return None
    short, long = sorted((measured.width, measured.height))
    if short <= facts.image_min_side_px:
        return judge(facts, "image_min_side_px", _IMAGE_SIDES)
    if long / short > facts.image_max_aspect_ratio:
        return judge(facts, "image_max_aspect_ratio", _IMAGE_SIDES)
    return None


def _audio_error(measured: Measured, facts: FamilyFacts) -> str | None:
    if not measured.size:
        return "The audio is empty"
    if measured.format is not None and measured.format not in facts.audio_formats:
        return judge(facts, "audio_formats", _ILLEGAL_FORMAT)
    if _over(measured.size, facts.audio_max_bytes):
        return judge(facts, "audio_max_bytes", _TOO_LARGE)
    if _over(measured.seconds, facts.audio_max_seconds):
        return judge(  # emulator wording
            facts,
            "audio_max_seconds",
            _requirements("audio", "The audio file is too long."),
        )
    return None


def _video_error(measured: Measured, facts: FamilyFacts) -> str | None:
    if not measured.size:
        return _ILLEGAL_FORMAT
    if measured.format is not None and measured.format not in facts.video_formats:
        return judge(facts, "video_formats", _ILLEGAL_FORMAT)
    if _over(measured.size, facts.video_max_bytes):
        return judge(facts, "video_max_bytes", _TOO_LARGE)
    if _over(measured.seconds, facts.video_max_seconds):
        return judge(
            facts,
            "video_max_seconds",
            _requirements("video", "The video file is too long."),
        )
    return None


# --- describing what was received ----------------------------------------------


def media_details(message: WireMessage) -> str:
    """Describe the inline (data URL) media of a message, `""` if it has none.

    E.g. `image_url 1: png, 32x16 px, 1,234 bytes; input_audio 1: wav, 0.50 s,
    16,044 bytes`. Remote URLs are not fetched, so they are not described.
    """
    pieces: list[str] = []
    numbers: collections.Counter[str] = collections.Counter()
    for part in message.files:
        numbers[part.type] += 1
        facts = [_facts(ref) for ref in part.media]
        inline = [f for f in facts if f is not None]
        if not inline:
            continue
        label = f"{part.type} {numbers[part.type]}"
        if part.type == "video":
            total = sum(size for _, size in inline)
            pieces.append(
                f"{label}: {len(facts)} frames, {len(inline)} inline, {total:,} bytes"
            )
        else:
            description, size = inline[0]
            pieces.append(f"{label}: {description}, {size:,} bytes")
    return "; ".join(pieces)


def _facts(ref: MediaRef) -> tuple[str, int] | None:
    """`(format and measures, size)` of an inline item; `None` for URLs."""
    try:
        measured = measure(ref)
    except DataUrlError:
        return None
    if measured is None:
        return None
    facts = [measured.format or "unknown format"]
    if ref.kind == "image" and measured.width is not None:
        facts.append(f"{measured.width}x{measured.height} px")
    elif ref.kind != "image" and measured.seconds is not None:
        facts.append(f"{measured.seconds:.2f} s")
    return ", ".join(facts), measured.size
