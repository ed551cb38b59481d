"""Omni's conversation rules and media limits, enforced the way the API does.

The client checks the same rules before sending (`langchain_qwen_omni.rules`);
these validators let tests show what happens to a request that skips those
checks: a 400 `invalid_parameter_error`, as from DashScope. Limits come from
the model's profile (`get_profile(body["model"])`).

Error texts documented by the API are reproduced exactly:
`Exceeded limit on max bytes per data-uri item : 10485760`,
`Multimodal file size is too large`, `The audio is empty`,
`The provided URL does not appear to be valid.`,
`The video modality input does not meet the requirements because: The video
file is too long.` and `Range of max_tokens should be [1, N]`. Where the API's
text is not documented, the emulator words it in the same style; those texts
are marked "emulator wording" below.

`media_details` describes the media of a message (format, pixels, seconds,
bytes) for the emulator's answer text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from langchain_qwen_omni import _probe
from langchain_qwen_omni._codec import b64decode_steps
from langchain_qwen_omni.emulator.errors import EmulatorError, invalid_parameter
from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.profiles import get_profile

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langchain_qwen_omni.emulator.options import EmulatorOptions
    from langchain_qwen_omni.profiles import OmniModelProfile

__all__ = [
    "check_conversation",
    "check_max_tokens",
    "check_media",
    "check_modalities",
    "media_details",
]

MediaKind = Literal["image", "audio", "video"]
_KIND_OF_PART: dict[str, MediaKind] = {
    "image_url": "image",
    "input_audio": "audio",
    "video_url": "video",
    "video": "video",
}


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


def _unused_text_of(message: Mapping[str, Any]) -> str:
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


def decode_data_url(url: str, *, keep: int | None = None) -> tuple[str, bytes, int]:
    """Split a base64 data URL into its mime type, decoded bytes and their size.

    Decoded strictly, in steps that let other threads (the event loop) run:
    characters outside the alphabet (URL-safe base64, spaces, line breaks)
    raise instead of being skipped, as the API would not skip them either.
    With `keep`, only the first `keep` bytes are returned (a header is all an
    image check needs); the whole text is still checked, and the size is
    that of all the data.

    Raises:
        OmniInputError: The URL is not `data:[<mime>][;...];base64,<data>` or
            its data is not valid base64. The message never repeats the data.
    """
    comma = url.find(",")
    if url[:5].lower() != "data:" or comma < 0:
        msg = "a data URL must look like 'data:<mime>;base64,<data>'"
        raise OmniInputError(msg)
    header = url[5:comma]
    if not header.lower().endswith(";base64"):
        msg = (
            f"the data URL header 'data:{header[:60]}' does not end in ';base64': "
            "Omni accepts only base64 data URLs ('data:<mime>;base64,<data>')"
        )
        raise OmniInputError(msg)
    mime = header.split(";", 1)[0].strip().lower()
    encoded = url[comma + 1 :]
    if not encoded:  # empty media: the rules say so in their own words
        return mime, b"", 0
    try:
        data = b64decode_steps(encoded, keep=keep)
    except ValueError as exc:
        msg = f"the data URL's data is not valid base64: {exc}"
        raise OmniInputError(msg) from None
    size = len(encoded) // 4 * 3 - encoded.count("=", len(encoded) - 2)
    return mime, data, size


_INVALID_URL = "The provided URL does not appear to be valid."
_TOO_LARGE = "Multimodal file size is too large"
_MODALITY_SETS = ({"text"}, {"text", "audio"})


def _requirements(kind: MediaKind, reason: str) -> str:
    """The API's phrasing for media that breaks a limit."""
    return f"The {kind} modality input does not meet the requirements because: {reason}"


def _model(body: Mapping[str, Any]) -> str:
    return str(body.get("model", ""))


def _messages(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, Mapping)]


# --- parameters -----------------------------------------------------------------


def check_modalities(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """`modalities` is `["text"]` or `["text", "audio"]`; speech needs a speaker.

    Thinking mode allows only text output, as documented.
    """
    del options
    modalities = body.get("modalities")
    if modalities is None:
        return None
    if not isinstance(modalities, list) or set(modalities) not in _MODALITY_SETS:
        # emulator wording
        return invalid_parameter(
            "Input should be ['text'] or ['text', 'audio']: parameters.modalities"
        )
    if "audio" not in modalities:
        return None
    if not get_profile(_model(body)).audio_output:
        # emulator wording
        return invalid_parameter(
            f"The model {_model(body)} does not support audio output."
        )
    if body.get("enable_thinking") is True:
        # emulator wording
        return invalid_parameter(
            "Audio output is not supported in thinking mode: set modalities to "
            "['text'] when enable_thinking is true."
        )
    return None


def check_max_tokens(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """`max_tokens` within `[1, max_output_tokens]` of the model."""
    del options
    value = body.get("max_tokens")
    if value is None:
        return None
    limit = get_profile(_model(body)).max_output_tokens
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        return invalid_parameter(f"Range of max_tokens should be [1, {limit}]")
    return None


# --- conversation ---------------------------------------------------------------


def check_conversation(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """Check the conversation's shape against the model.

    Text-only assistant turns, one media kind per user message, one audio and
    one video file per request, frame counts, and what the model takes.
    """
    del options
    messages = _messages(body)
    profile = get_profile(_model(body))
    message = _turn_error(messages, profile) or _kind_error(messages)
    if message is None:
        message = next(_part_errors(messages, profile, _model(body)), None)
    return None if message is None else invalid_parameter(message)


def _turn_error(
    messages: list[Mapping[str, Any]], profile: OmniModelProfile
) -> str | None:
    roles = [m.get("role") for m in messages]
    if not profile.system_message and "system" in roles:
        return f"The model {profile.family} does not support system messages."
    turns = [r for r in roles if r in {"user", "assistant", "tool"}]
    if profile.single_turn and len(turns) > 1:
        return f"The model {profile.family} supports a single user turn only."
    return None


def _kind_error(messages: list[Mapping[str, Any]]) -> str | None:
    for message in messages:
        kinds = media_kinds(message)
        if message.get("role") == "assistant" and kinds:
            return "The content of an assistant message may contain text only."
        if message.get("role") == "user" and len(kinds) > 1:
            return (
                "The input messages do not meet the requirements: a user message "
                "may contain only one type of multimodal input (image, audio or "
                "video)."
            )
    return None


def _part_errors(
    messages: list[Mapping[str, Any]], profile: OmniModelProfile, model: str
) -> Iterator[str]:
    accepted = {
        "image": profile.image_input,
        "audio": profile.audio_input,
        "video": profile.video_input,
    }
    files = {"input_audio": 0, "video_url": 0}
    for media in iter_media_parts(messages):
        part_type = str(media.part.get("type"))
        if not accepted[media.kind]:
            yield f"The model {model} does not support {media.kind} input."
        if part_type in files:
            files[part_type] += 1
            if files[part_type] > 1:
                noun = "audio" if part_type == "input_audio" else "video"
                yield (
                    "The input messages do not meet the requirements: only one "
                    f"{noun} file is supported per request."
                )
        frames = media.part.get("video")
        if part_type == "video" and (
            not isinstance(frames, list)
            or not profile.frames_min <= len(frames) <= profile.frames_max
        ):
            yield _requirements(
                "video",
                f"The number of images must be between {profile.frames_min} and "
                f"{profile.frames_max}.",
            )


# --- media ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Item:
    """One URL to check: a file part's URL or one frame of an image sequence."""

    kind: MediaKind
    value: object


def _items(media: MediaPart) -> Iterator[_Item]:
    part_type = str(media.part.get("type"))
    inner = media.part.get(part_type)
    if part_type == "video":
        frames = inner if isinstance(inner, list) else []
        yield from (_Item("image", frame) for frame in frames)
    elif isinstance(inner, Mapping):
        yield _Item(media.kind, inner.get("data" if media.kind == "audio" else "url"))
    else:
        yield _Item(media.kind, inner)


def check_media(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """URLs, data URL cap, decoded sizes, image sides and ratio, durations.

    Each data URL is decoded once; remote URLs are not fetched.
    """
    del options
    profile = get_profile(_model(body))
    seen: set[tuple[MediaKind, str]] = set()
    for media in iter_media_parts(_messages(body)):
        for item in _items(media):
            if isinstance(item.value, str) and (item.kind, item.value) in seen:
                continue
            message = _item_error(item, profile)
            if message is not None:
                return invalid_parameter(message)
            if isinstance(item.value, str):
                seen.add((item.kind, item.value))
    return None


def _item_error(item: _Item, profile: OmniModelProfile) -> str | None:
    value = item.value
    if not isinstance(value, str):
        return _INVALID_URL
    scheme = value[:8].lower()
    if scheme.startswith(("http://", "https://")):
        return None
    if not scheme.startswith("data:"):
        return _INVALID_URL
    if len(value) > profile.data_url_max_bytes:
        return (
            "Exceeded limit on max bytes per data-uri item : "
            f"{profile.data_url_max_bytes}"
        )
    try:
        _, data, _ = decode_data_url(value)
    except OmniInputError:
        return _INVALID_URL
    return _data_error(data, item.kind, profile)


def _data_error(data: bytes, kind: MediaKind, profile: OmniModelProfile) -> str | None:
    limit = {
        "image": profile.image_max_bytes,
        "audio": profile.audio_max_bytes,
        "video": profile.video_max_bytes,
    }[kind]
    if len(data) > limit:
        return _TOO_LARGE
    if kind == "image":
        return _image_error(data, profile)
    if kind == "audio":
        return _audio_error(data, profile)
    return _video_error(data, profile)


def _image_error(data: bytes, profile: OmniModelProfile) -> str | None:
    size = _probe.image_size(data)
    if size is None:
        return None
    width, height = size
    if min(width, height) <= profile.image_min_side_px:
        return _requirements(
            "image",
            f"The image width and height must be greater than "
            f"{profile.image_min_side_px} pixels.",
        )  # emulator wording
    if max(width, height) / min(width, height) > profile.image_max_aspect_ratio:
        return _requirements(
            "image",
            "The aspect ratio of the image must not exceed "
            f"{profile.image_max_aspect_ratio:g}:1.",
        )  # emulator wording
    return None


def _audio_error(data: bytes, profile: OmniModelProfile) -> str | None:
    if not data:
        return "The audio is empty"
    seconds = _probe.audio_duration(data)
    if seconds is not None and seconds > profile.audio_max_seconds:
        return _requirements("audio", "The audio file is too long.")  # emulator wording
    return None


def _video_error(data: bytes, profile: OmniModelProfile) -> str | None:
    seconds = _probe.video_duration(data)
    if seconds is None:
        return None
    if seconds > profile.video_max_seconds:
        return _requirements("video", "The video file is too long.")
    if seconds < profile.video_min_seconds:
        return _requirements(
            "video", "The video file is too short."
        )  # emulator wording
    return None


# --- describing what was received ----------------------------------------------


def media_details(message: Mapping[str, Any]) -> str:
    """Describe the inline (data URL) media of a message, `""` if it has none.

    E.g. `image_url 1: png, 32x16 px, 1,234 bytes; input_audio 1: wav, 0.50 s,
    16,044 bytes`. Remote URLs are not fetched, so they are not described.
    """
    pieces: list[str] = []
    numbers: dict[str, int] = {}
    for media in iter_media_parts([message]):
        part_type = str(media.part.get("type"))
        numbers[part_type] = numbers.get(part_type, 0) + 1
        facts = [_facts(item) for item in _items(media)]
        inline = [f for f in facts if f is not None]
        if not inline:
            continue
        label = f"{part_type} {numbers[part_type]}"
        if part_type == "video":
            total = sum(size for _, size in inline)
            pieces.append(
                f"{label}: {len(facts)} frames, {len(inline)} inline, {total:,} bytes"
            )
        else:
            description, size = inline[0]
            pieces.append(f"{label}: {description}, {size:,} bytes")
    return "; ".join(pieces)


def _facts(item: _Item) -> tuple[str, int] | None:
    """`(format and measures, size)` of an inline item; `None` for URLs."""
    if not isinstance(item.value, str) or item.value[:5].lower() != "data:":
        return None
    try:
        _, data, _ = decode_data_url(item.value)
    except OmniInputError:
        return None
    facts = [_probe.sniff_format(data) or "unknown format"]
    if item.kind == "image":
        if (size := _probe.image_size(data)) is not None:
            facts.append(f"{size[0]}x{size[1]} px")
    else:
        probe = _probe.audio_duration if item.kind == "audio" else _probe.video_duration
        if (seconds := probe(data)) is not None:
            facts.append(f"{seconds:.2f} s")
    return ", ".join(facts), len(data)
