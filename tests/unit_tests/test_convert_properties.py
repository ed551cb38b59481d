"""Property tests: whatever block a user hands over, conversion either returns
valid Omni wire parts or raises a `QwenOmniError`, never anything else."""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import QwenOmniError
from langchain_qwen_omni._codec import b64encode, check_base64, url_scheme
from langchain_qwen_omni._probe import audio_format, sniff_mime_type
from langchain_qwen_omni.media import path_seal
from tests import media
from tests.convert import wire_of

if TYPE_CHECKING:
    from pathlib import Path

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MEDIA = {
    "png": media.png(),
    "jpeg": media.jpeg(),
    "wav": media.wav(0.05),
    "mp3": media.mp3(0.05),
    "mp4": media.mp4(0.5, fps=2, audio=False),
    "junk": b"\x00\x01 not media at all",
}
B64 = {name: base64.b64encode(data).decode() for name, data in MEDIA.items()}


PATH_TOKEN = "<path>:"  # noqa: S105  # a placeholder, not a secret
"""Strings `<path>:png` stand for local files; the test puts real paths in.

Strategies are built once at import (building them per example is slow), so
they name files by token rather than by a path known only to a fixture.
"""
SEAL_TOKEN = "<seal>"  # noqa: S105 - replaced by the seal of the block's path


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    for name, data in MEDIA.items():
        media.write(folder / name, data)
    return folder


def with_paths(value: Any, folder: Path) -> Any:
    """`value` with every path token replaced by a path inside `folder`."""
    if isinstance(value, str) and value.startswith(PATH_TOKEN):
        name = value.removeprefix(PATH_TOKEN)
        return str(folder / name) if name else str(folder)
    if isinstance(value, list):
        return [with_paths(item, folder) for item in value]
    if isinstance(value, dict):
        done = {key: with_paths(item, folder) for key, item in value.items()}
        if done.get("seal") == SEAL_TOKEN and isinstance(done.get("path"), str):
            done["seal"] = path_seal(done["path"])
        return done
    return value


# ------------------------------------------------------------------ strategies
TYPES = [
    "text",
    "text-plain",
    "image",
    "audio",
    "video",
    "file",
    "image_url",
    "input_audio",
    "video_url",
    "reasoning",
    "tool_call",
    "",
]
KEYS = [
    "url",
    "base64",
    "mime_type",
    "source_type",
    "data",
    "id",
    "file_id",
    "extras",
    "path",
    "frames",
    "text",
    "image_url",
    "input_audio",
    "video_url",
    "video",
    "format",
    "detail",
    "transcript",
]
ENCODED = list(B64.values())
STRINGS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "https://x.test/a.png",
            "http://x.test/a.mp3?sig=1",
            "https://x.test/clip",
            "file:///etc/hosts",
            "ftp://x.test/a.wav",
            "data:image/png,raw",
            "data:;base64,",
            "C:\\media\\a.png",
            "image/png",
            "audio/mpeg",
            "video/mp4",
            "application/pdf",
            "wav",
            "mp3",
            "url",
            "base64",
            "id",
        ]
    ),
    st.sampled_from(ENCODED),
    st.sampled_from([PATH_TOKEN + name for name in [*MEDIA, "missing.png", ""]]),
    st.builds(
        lambda mime, data: f"data:{mime};base64,{data}",
        st.sampled_from(["", "image/png", "audio/wav", "video/mp4", "text/plain"]),
        st.sampled_from([*ENCODED, "@@@@", "QUJD=", "abc"]),
    ),
)
"""Strings a block may hold: URLs of every scheme, data URLs, base64, paths, junk."""

VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), STRINGS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    ),
    max_leaves=6,
)
RANDOM_BLOCKS = st.builds(
    lambda kind, rest: {**rest, "type": kind} if kind is not None else rest,
    st.one_of(st.sampled_from(TYPES), st.none(), st.integers()),
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4),
)
MIME_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        ["image/png", "image/jpeg", "audio/wav", "audio/mpeg", "video/mp4", "text/x"]
    ),
)
KINDS = st.sampled_from(["image", "audio", "video", "file"])
GOOD = st.one_of(
    st.sampled_from(
        ["https://x.test/a.png", "https://x.test/a.mp3?s=1", "http://x.test/c.mp4"]
    ),
    st.sampled_from(ENCODED),
    st.builds(
        lambda mime, data: f"data:{mime};base64,{data}",
        st.sampled_from(["", "image/png", "audio/mpeg", "video/mp4"]),
        st.sampled_from(ENCODED),
    ),
)
"""Values that often convert: URLs with suffixes, media base64, media data URLs."""
VALUE = st.one_of(GOOD, STRINGS)
LOCAL = st.sampled_from([PATH_TOKEN + name for name in MEDIA])
FRAMES = st.lists(
    st.one_of(VALUE, st.builds(lambda url: {"type": "image", "url": url}, VALUE)),
    max_size=3,
)


def _shaped(kind: str, key: str, value: Any, mime: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": kind, key: value}
    if mime is not None:
        block["mime_type"] = mime
    return block


SHAPED_BLOCKS = st.one_of(
    st.builds(_shaped, KINDS, st.sampled_from(["url", "base64"]), VALUE, MIME_TYPES),
    st.builds(
        lambda kind, path, seal, mime: _shaped(
            kind, "extras", {"path": path, "seal": seal}, mime
        ),
        KINDS,
        LOCAL,
        st.sampled_from([SEAL_TOKEN, "forged"]),
        MIME_TYPES,
    ),
    st.builds(
        lambda kind, data, mime: {
            "type": kind,
            "source_type": "base64",
            "data": data,
            "mime_type": mime,
        },
        KINDS,
        st.sampled_from(ENCODED),
        MIME_TYPES,
    ),
    st.builds(lambda url: {"type": "image_url", "image_url": {"url": url}}, VALUE),
    st.builds(lambda url: {"type": "video_url", "video_url": {"url": url}}, VALUE),
    st.builds(
        lambda data, fmt: (
            {"type": "input_audio", "input_audio": {"data": data}}
            | ({"format": fmt} if fmt is not None else {})
        ),
        VALUE,
        st.one_of(st.none(), st.sampled_from(["wav", "MP3", "", "flac"])),
    ),
    st.builds(lambda frames: {"type": "video", "video": frames}, FRAMES),
    st.builds(lambda frames: {"type": "video", "extras": {"frames": frames}}, FRAMES),
)
"""Blocks in the accepted shapes with arbitrary values: most reach the wire."""

BLOCKS = st.one_of(
    RANDOM_BLOCKS,
    SHAPED_BLOCKS,
    SHAPED_BLOCKS,
    st.builds(lambda shaped, extra: {**extra, **shaped}, SHAPED_BLOCKS, RANDOM_BLOCKS),
)
CONTENTS = st.one_of(
    st.tuples(BLOCKS).map(list),
    st.lists(st.one_of(st.text(max_size=5), BLOCKS), max_size=3),
)


# ------------------------------------------------------- wire-part validation
def assert_image_url(url: object) -> None:
    assert isinstance(url, str)
    if url_scheme(url) in {"http", "https"}:
        return
    match = re.fullmatch(r"data:image/[\w.+-]+;base64,(.+)", url, re.DOTALL)
    assert match, url[:60]
    base64.b64decode(match.group(1), validate=True)


def assert_media_url(url: object) -> None:
    """Audio and video: an http(s) URL or `data:;base64,<valid base64>`."""
    assert isinstance(url, str)
    if url_scheme(url) in {"http", "https"}:
        return
    assert url.startswith("data:;base64,"), url[:60]
    assert base64.b64decode(url.removeprefix("data:;base64,"), validate=True)


def assert_valid_part(part: dict[str, Any]) -> None:
    kind = part["type"]
    if kind == "text":
        assert set(part) == {"type", "text"}
        assert isinstance(part["text"], str)
    elif kind == "image_url":
        assert set(part) == {"type", "image_url"}
        assert set(part["image_url"]) == {"url"}
        assert_image_url(part["image_url"]["url"])
    elif kind == "input_audio":
        assert set(part["input_audio"]) == {"data", "format"}
        assert_media_url(part["input_audio"]["data"])
        fmt = part["input_audio"]["format"]
        assert isinstance(fmt, str)
        assert fmt
        assert fmt == fmt.strip().lower()
    elif kind == "video_url":
        assert set(part["video_url"]) == {"url"}
        assert_media_url(part["video_url"]["url"])
    elif kind == "video":
        assert set(part) == {"type", "video"}
        assert part["video"]
        for frame in part["video"]:
            assert_image_url(frame)
    else:
        pytest.fail(f"unexpected wire part type {kind!r}")


# --------------------------------------------------------------------- tests
def check_conversion(message: HumanMessage, label: str) -> object:
    """Valid wire parts, one per block, or a located `QwenOmniError`."""
    try:
        wire = wire_of([message])
    except QwenOmniError as exc:
        error = str(exc)
        event(f"{label}: refused")
        assert error.startswith("Message 0")
        return QwenOmniError
    (converted,) = wire
    event(f"{label}: {sorted({part['type'] for part in converted['content']})}")
    assert converted["role"] == "user"
    assert len(converted["content"]) == len(message.content)
    for part in converted["content"]:
        assert_valid_part(part)
    json.dumps(wire)
    return wire


@EXAMPLES
@given(drawn=CONTENTS)
def test_any_block_converts_to_valid_parts_or_raises_typed(
    media_dir: Path, drawn: list[Any]
) -> None:
    """Raw blocks, and the blocks LangChain hands a chat model after `invoke`.

    `BaseChatModel` normalizes OpenAI-format audio and LangChain v0 blocks to
    v1 before `_generate` sees them: both forms must give the same result.
    """
    message = HumanMessage(content=with_paths(drawn, media_dir))
    raw = check_conversion(message, "raw")
    try:
        (normalized,) = _normalize_messages([message])
    except TypeError:  # langchain-core's own check of `source_type` hashes it
        event("langchain-core cannot normalize")
        return
    assert isinstance(normalized, HumanMessage)
    assert check_conversion(normalized, "normalized") == raw


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_base64_round_trip(data: bytes) -> None:
    text = b64encode(data)
    assert text == base64.b64encode(data).decode()
    if data:
        assert check_base64(text) == (text, data)


STRICT_BASE64 = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
)
"""RFC 4648 base64, canonical length and padding: the oracle."""


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ABCab01+/=\n -_é", max_size=24))
def test_base64_check_agrees_with_a_strict_decoder(text: str) -> None:
    compact = "".join(text.split())
    valid = bool(compact) and STRICT_BASE64.fullmatch(compact) is not None
    try:
        clean, decoded = check_base64(text)
    except ValueError:
        assert not valid
        return
    assert valid
    assert clean == compact
    assert decoded == base64.b64decode(compact, validate=True)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=80))
def test_sniffing_never_raises(data: bytes) -> None:
    mime = sniff_mime_type(data)
    assert mime is None or re.fullmatch(r"(image|audio|video)/[\w.+-]+", mime)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30), st.text(max_size=40))
def test_audio_format_never_raises(mime: str, url: str) -> None:
    fmt = audio_format(mime, url)
    assert fmt is None or fmt.isalnum()


KIND_MEDIA = {
    "image": ["png", "jpeg"],
    "audio": ["wav", "mp3"],
    "video": ["mp4"],
}
FORMS = ["base64", "base64+mime", "data_url", "path", "v0", "file", "openai"]


def well_formed(kind: str, name: str, form: str) -> dict[str, Any]:
    """A block in one accepted form holding the `name` test file."""
    data, mime = B64[name], {"png": "image/png", "jpeg": "image/jpeg"}.get(name)
    mime = mime or {"wav": "audio/wav", "mp3": "audio/mpeg", "mp4": "video/mp4"}[name]
    typeless = f"data:;base64,{data}"
    openai = {
        "image": {
            "type": "image_url",
            "image_url": {"url": f"data:{mime};base64,{data}"},
        },
        "audio": {"type": "input_audio", "input_audio": {"data": data}},
        "video": {"type": "video_url", "video_url": {"url": typeless}},
    }
    forms: dict[str, dict[str, Any]] = {
        "base64": {"type": kind, "base64": data},
        "base64+mime": {"type": kind, "base64": data, "mime_type": mime},
        "data_url": {"type": kind, "url": typeless},
        "path": {
            "type": kind,
            "extras": {"path": PATH_TOKEN + name, "seal": SEAL_TOKEN},
        },
        "v0": {"type": kind, "source_type": "base64", "data": data, "mime_type": mime},
        "file": {"type": "file", "base64": data, "mime_type": mime},
        "openai": openai[kind],
    }
    return forms[form]


def payload_of(part: dict[str, Any]) -> str:
    """The data URL or URL a wire part carries."""
    inner = part[part["type"]]
    return str(inner["data"] if part["type"] == "input_audio" else inner["url"])


@settings(max_examples=60, deadline=None)
@given(
    choice=st.sampled_from(
        [(kind, name) for kind, names in KIND_MEDIA.items() for name in names]
    ),
    form=st.sampled_from(FORMS),
)
def test_well_formed_media_always_converts_to_the_same_bytes(
    media_dir: Path, choice: tuple[str, str], form: str
) -> None:
    kind, name = choice
    block = with_paths(well_formed(kind, name, form), media_dir)
    (message,) = wire_of([HumanMessage(content=[block])])
    (part,) = message["content"]
    assert_valid_part(part)
    wire_type = {"image": "image_url", "audio": "input_audio", "video": "video_url"}
    assert part["type"] == wire_type[kind]
    encoded = payload_of(part).split(";base64,", 1)[1]
    assert base64.b64decode(encoded) == MEDIA[name]
    if kind == "audio":
        assert part["input_audio"]["format"] == name
