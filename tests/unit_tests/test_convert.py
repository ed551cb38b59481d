"""`convert_messages`: LangChain messages and blocks -> Omni wire messages."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni import (
    OmniInputError,
    _convert,
    audio_block,
    image_block,
    video_block,
    video_frames_block,
)
from langchain_qwen_omni._convert import convert_messages
from langchain_qwen_omni.media import read_media_file
from tests import media
from tests.convert import wire_of

PNG = media.png()
PNG64 = base64.b64encode(PNG).decode()
JPEG64 = base64.b64encode(media.jpeg()).decode()
WAV64 = base64.b64encode(media.wav()).decode()
MP3_64 = base64.b64encode(media.mp3()).decode()
MP4_64 = base64.b64encode(media.mp4()).decode()


def parts(*blocks: Any) -> list[dict[str, Any]]:
    """The wire parts of one user message holding `blocks`."""
    (message,) = wire_of([HumanMessage(content=list(blocks))])
    assert message["role"] == "user"
    return list(message["content"])


def part(block: Any) -> dict[str, Any]:
    (only,) = parts(block)
    return only


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def audio_part(data: str, fmt: str) -> dict[str, Any]:
    return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}


def video_part(url: str) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": url}}


# ------------------------------------------------------------------- text
def test_text_forms() -> None:
    assert wire_of([HumanMessage("hi")]) == [{"role": "user", "content": "hi"}]
    assert parts("a", {"type": "text", "text": "b", "id": "x", "annotations": []}) == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]
    plain = {"type": "text-plain", "mime_type": "text/plain", "text": "notes"}
    assert part(plain) == {"type": "text", "text": "notes"}


def test_system_message() -> None:
    assert wire_of([SystemMessage("Be brief.")]) == [
        {"role": "system", "content": "Be brief."}
    ]


# ------------------------------------------------------------------ images
@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": PNG64, "mime_type": "image/png"},
        {"type": "image", "base64": PNG64},  # type sniffed from the content
        {"type": "image", "base64": PNG64, "mime_type": "image/jpeg"},  # content wins
        {
            "type": "image",
            "source_type": "base64",
            "data": PNG64,
            "mime_type": "image/png",
        },
        {"type": "file", "base64": PNG64, "mime_type": "image/png"},
        {"type": "file", "base64": PNG64},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
        {"type": "image_url", "image_url": {"url": f"data:;base64,{PNG64}"}},
        {
            "type": "image_url",
            "image_url": f"data:application/octet-stream;base64,{PNG64}",
        },
        {"type": "image", "url": f"data:image/png;base64,{PNG64}"},
    ],
)
def test_inline_image_becomes_a_typed_data_url(block: dict[str, Any]) -> None:
    assert part(block) == image_part(f"data:image/png;base64,{PNG64}")


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "url": "https://x.test/cat.png"},
        {"type": "image", "source_type": "url", "url": "https://x.test/cat.png"},
        {"type": "file", "url": "https://x.test/cat.png", "mime_type": "image/png"},
        {"type": "image_url", "image_url": "https://x.test/cat.png"},
        {
            "type": "image_url",
            "image_url": {"url": "https://x.test/cat.png", "detail": "high"},
        },
        image_block("https://x.test/cat.png"),
    ],
)
def test_image_url_is_passed(block: dict[str, Any]) -> None:
    assert part(block) == image_part("https://x.test/cat.png")


def test_image_from_path_is_read_at_conversion(tmp_path: Path) -> None:
    path = media.write(tmp_path / "photo.jpg", media.jpeg())
    block = image_block(path)
    assert part(block) == image_part(f"data:image/jpeg;base64,{JPEG64}")
    path.write_bytes(PNG)  # the file is read when the request is built
    assert part(block) == image_part(f"data:image/png;base64,{PNG64}")


def test_image_from_array_and_bytes() -> None:
    assert part(image_block(PNG)) == image_part(f"data:image/png;base64,{PNG64}")
    array_part = part(image_block(media.rgb_array(4, 4)))
    assert array_part["image_url"]["url"].startswith("data:image/png;base64,iVBOR")


def test_image_with_unknown_content_needs_an_image_mime_type() -> None:
    blob = base64.b64encode(b"\x00\x01\x02\x03").decode()
    labelled = {"type": "image", "base64": blob, "mime_type": "image/x-icon"}
    assert part(labelled) == image_part(f"data:image/x-icon;base64,{blob}")
    with pytest.raises(OmniInputError, match="cannot tell the image type"):
        part({"type": "image", "base64": blob})


# ------------------------------------------------------------------- audio
@pytest.mark.parametrize(
    ("block", "data", "fmt"),
    [
        ({"type": "audio", "base64": MP3_64, "mime_type": "audio/mpeg"}, MP3_64, "mp3"),
        ({"type": "audio", "base64": WAV64, "mime_type": "audio/x-wav"}, WAV64, "wav"),
        ({"type": "audio", "base64": WAV64}, WAV64, "wav"),
        ({"type": "audio", "base64": WAV64, "mime_type": "audio/mpeg"}, WAV64, "wav"),
        (
            {
                "type": "audio",
                "source_type": "base64",
                "data": MP3_64,
                "mime_type": "audio/mpeg",
            },
            MP3_64,
            "mp3",
        ),
        ({"type": "file", "base64": WAV64, "mime_type": "audio/wav"}, WAV64, "wav"),
        ({"type": "file", "base64": WAV64}, WAV64, "wav"),
        ({"type": "audio", "url": f"data:audio/wav;base64,{WAV64}"}, WAV64, "wav"),
        (
            {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}},
            WAV64,
            "wav",
        ),
        ({"type": "input_audio", "input_audio": {"data": MP3_64}}, MP3_64, "mp3"),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": f"data:;base64,{MP3_64}", "format": "MP3"},
            },
            MP3_64,
            "mp3",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": f"data:audio/mpeg;base64,{MP3_64}"},
            },
            MP3_64,
            "mp3",
        ),
    ],
)
def test_inline_audio_becomes_a_typeless_data_url(
    block: dict[str, Any], data: str, fmt: str
) -> None:
    assert part(block) == audio_part(f"data:;base64,{data}", fmt)


@pytest.mark.parametrize(
    ("block", "fmt"),
    [
        ({"type": "audio", "url": "https://x.test/a.mp3"}, "mp3"),
        ({"type": "audio", "url": "https://x.test/a.WAV?sig=1.mp3"}, "wav"),
        ({"type": "audio", "url": "https://x.test/a.m4a"}, "aac"),
        ({"type": "audio", "url": "https://x.test/a.amr"}, "amr"),
        ({"type": "audio", "url": "https://x.test/a.3gp"}, "3gp"),
        (
            {"type": "audio", "url": "https://x.test/stream", "mime_type": "audio/aac"},
            "aac",
        ),
        (
            {"type": "audio", "source_type": "url", "url": "https://x.test/a.mp3"},
            "mp3",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": "https://x.test/a.mp3", "format": "mp3"},
            },
            "mp3",
        ),
        (
            {"type": "input_audio", "input_audio": {"data": "https://x.test/a.wav"}},
            "wav",
        ),
        (audio_block("https://x.test/stream", mime_type="audio/amr"), "amr"),
    ],
)
def test_audio_url_is_passed_with_its_format(block: dict[str, Any], fmt: str) -> None:
    assert part(block)["input_audio"]["format"] == fmt
    assert part(block)["input_audio"]["data"].startswith("https://x.test/")


def test_audio_url_without_a_format_is_refused() -> None:
    with pytest.raises(
        OmniInputError,
        match=r"Message 0, block 0: cannot tell the audio format.*'audio/mpeg'",
    ):
        part({"type": "audio", "url": "https://x.test/stream"})


def test_audio_from_path_and_samples(tmp_path: Path) -> None:
    path = media.write(tmp_path / "voice", media.mp3())
    assert part(audio_block(path)) == audio_part(f"data:;base64,{MP3_64}", "mp3")
    samples = part(audio_block(media.tone(0.1), sample_rate=16_000))
    assert samples["input_audio"]["format"] == "wav"
    assert samples["input_audio"]["data"].startswith("data:;base64,UklGR")


# ------------------------------------------------------------------- video
@pytest.mark.parametrize(
    "block",
    [
        {"type": "video", "base64": MP4_64, "mime_type": "video/mp4"},
        {"type": "video", "base64": MP4_64},
        {
            "type": "video",
            "source_type": "base64",
            "data": MP4_64,
            "mime_type": "video/mp4",
        },
        {"type": "file", "base64": MP4_64, "mime_type": "video/mp4"},
        {"type": "video", "url": f"data:video/mp4;base64,{MP4_64}"},
        {"type": "video_url", "video_url": {"url": f"data:video/mp4;base64,{MP4_64}"}},
        {"type": "video_url", "video_url": f"data:;base64,{MP4_64}"},
    ],
)
def test_inline_video_becomes_a_typeless_data_url(block: dict[str, Any]) -> None:
    assert part(block) == video_part(f"data:;base64,{MP4_64}")


@pytest.mark.parametrize(
    "block",
    [
        {"type": "video", "url": "https://x.test/c.mp4"},
        {"type": "video_url", "video_url": {"url": "https://x.test/c.mp4"}},
        {"type": "file", "url": "https://x.test/c.mp4", "mime_type": "video/mp4"},
        video_block("https://x.test/c.mp4"),
    ],
)
def test_video_url_is_passed(block: dict[str, Any]) -> None:
    assert part(block) == video_part("https://x.test/c.mp4")


def test_video_from_path(tmp_path: Path) -> None:
    path = media.write(tmp_path / "clip.mp4", media.mp4())
    assert part(video_block(path)) == video_part(f"data:;base64,{MP4_64}")


def test_frames_block_becomes_omni_video_list(tmp_path: Path) -> None:
    path = media.write(tmp_path / "f.jpg", media.jpeg())
    block = video_frames_block([path, PNG, "https://x.test/3.jpg"])
    assert part(block) == {
        "type": "video",
        "video": [
            f"data:image/jpeg;base64,{JPEG64}",
            f"data:image/png;base64,{PNG64}",
            "https://x.test/3.jpg",
        ],
    }


def test_omni_frame_list_is_checked_and_normalized() -> None:
    block = {
        "type": "video",
        "video": ["https://x.test/1.jpg", f"data:;base64,{PNG64}"],
    }
    assert part(block) == {
        "type": "video",
        "video": ["https://x.test/1.jpg", f"data:image/png;base64,{PNG64}"],
    }


def test_frames_may_be_urls_in_extras() -> None:
    block = {"type": "video", "extras": {"frames": ["https://x.test/1.jpg"] * 3}}
    assert part(block) == {"type": "video", "video": ["https://x.test/1.jpg"] * 3}


@pytest.mark.parametrize(
    ("data", "fmt", "wire_data", "wire_format"),
    [
        ("https://x.test/q", "3gpp", "https://x.test/q", "3gpp"),
        ("https://x.test/q.wav", "mp3", "https://x.test/q.wav", "mp3"),
        (f"data:;base64,{WAV64}", "wav", f"data:;base64,{WAV64}", "wav"),
        (WAV64, "mp3", f"data:;base64,{WAV64}", "wav"),  # the content decides
    ],
)
def test_input_audio_as_langchain_normalizes_it(
    data: str, fmt: str, wire_data: str, wire_format: str
) -> None:
    """`invoke` turns OpenAI's `input_audio` into a v1 audio block first.

    Its `base64` then holds `data` as given (a URL too) and its mime type
    is `audio/<format>`; the wire part must be what the raw block gives.
    """
    raw = HumanMessage(
        content=[{"type": "input_audio", "input_audio": {"data": data, "format": fmt}}]
    )
    (normalized,) = _normalize_messages([raw])
    assert normalized.content[0]["type"] == "audio"  # type: ignore[index]
    expected = [{"role": "user", "content": [audio_part(wire_data, wire_format)]}]
    assert wire_of([normalized]) == expected
    assert wire_of([raw]) == expected


# ------------------------------------------------------- encoded once per call
def test_a_file_is_read_and_encoded_once_per_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = media.write(tmp_path / "f.png", PNG)
    reads: list[str] = []
    real = read_media_file

    def counting(name: Any) -> bytes:
        reads.append(str(name))
        return real(name)

    monkeypatch.setattr("langchain_qwen_omni._convert.read_media_file", counting)
    frames = video_frames_block([path, path, path])
    wire = wire_of(
        [
            HumanMessage(content_blocks=[image_block(path)]),
            HumanMessage(content_blocks=[frames]),
        ]
    )
    assert reads == [str(path)]
    first = wire[0]["content"][0]["image_url"]["url"]
    assert wire[1]["content"][0]["video"] == [first] * 3
    wire_of([HumanMessage(content_blocks=[image_block(path)])])
    assert reads == [str(path)] * 2  # a new call reads the file again


# ----------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("block", "match"),
    [
        (
            {"type": "image", "url": "file:///etc/hosts"},
            r"refused \(a local path\).*image_block\('path/to/file'\)",
        ),
        (
            {"type": "image", "url": "/home/me/cat.png"},
            "only http://, https:// and data:",
        ),
        (
            {"type": "image", "url": "ftp://x.test/a.png"},
            r"refused \(its scheme 'ftp'\)",
        ),
        (
            {"type": "audio", "url": "s3://bucket/a.mp3"},
            r"audio_block\('path/to/file'\)",
        ),
        (
            {"type": "video_url", "video_url": {"url": "file:///c.mp4"}},
            r"video_block\(",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": "file:///a.wav", "format": "wav"},
            },
            "refused",
        ),
        ({"type": "image", "base64": "not base64!"}, "does not decode"),
        (
            {"type": "audio", "base64": "QUJD=", "mime_type": "audio/wav"},
            "does not decode",
        ),
        (
            {"type": "input_audio", "input_audio": {"data": "%%%", "format": "wav"}},
            "does not decode",
        ),
        (
            {"type": "image", "url": "data:image/png,rawdata"},
            "does not end in ';base64'",
        ),
        ({"type": "image", "url": "data:image/png;base64,@@@@"}, "does not decode"),
        ({"type": "image", "file_id": "file-123"}, "no file storage"),
        ({"type": "image", "source_type": "id", "id": "file-123"}, "no file storage"),
        ({"type": "image", "source_type": "text", "text": "x"}, "source_type 'text'"),
        ({"type": "image", "source_type": "url"}, "needs 'url'"),
        ({"type": "image"}, r"has no media.*image_block\("),
        ({"type": "image", "url": 42}, "'url' must be a string, not int"),
        ({"type": "image", "extras": {"path": 3}}, r"extras\['path'\] must be"),
        (
            {"type": "file", "base64": "JVBERi0xLjQ=", "mime_type": "application/pdf"},
            "no documents",
        ),
        ({"type": "file", "url": "https://x.test/doc"}, "no documents"),
        ({"type": "image", "base64": WAV64}, r"audio/wav, not image.*audio_block"),
        ({"type": "audio", "base64": PNG64}, r"image/png, not audio.*image_block"),
        ({"type": "video", "base64": PNG64}, "image/png, not video"),
        ({"type": "video", "video": []}, "non-empty list"),
        ({"type": "video", "video": "https://x.test/1.jpg"}, "non-empty list"),
        (
            {"type": "video", "video": ["https://x.test/1.jpg", 7]},
            "frame 1: a frame must be",
        ),
        (
            {"type": "video", "video": ["https://x.test/1.jpg", "file:///2.jpg"]},
            "frame 1:.*refused",
        ),
        (
            {"type": "video", "video": [f"data:;base64,{WAV64}"]},
            "frame 0: the data is audio/wav",
        ),
        ({"type": "image_url", "image_url": {}}, "needs"),
        ({"type": "image_url"}, "needs"),
        ({"type": "input_audio", "input_audio": "https://x.test/a.mp3"}, "needs"),
        (
            {"type": "input_audio", "input_audio": {"data": WAV64, "format": ""}},
            "'format' must be",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": "https://x.test/a", "format": 3},
            },
            "'format' must be",
        ),
        ({"type": "text", "text": None}, "needs a string 'text'"),
        (
            {"type": "reasoning", "reasoning": "hmm"},
            "unsupported content block type 'reasoning'",
        ),
        ({"type": ["image"]}, r"unsupported content block type \['image'\]"),
        ({"no": "type"}, "unsupported content block type None"),
    ],
)
def test_bad_blocks_are_typed_errors_with_location(block: Any, match: str) -> None:
    with pytest.raises(OmniInputError, match=match) as caught:
        wire_of([SystemMessage("s"), HumanMessage(content=["look", block])])
    assert str(caught.value).startswith("Message 1, block 1")


def test_missing_local_file_at_conversion(tmp_path: Path) -> None:
    path = media.write(tmp_path / "gone.png", PNG)
    block = image_block(path)
    path.unlink()
    with pytest.raises(
        OmniInputError, match=r"Message 0, block 0: Cannot read.*gone\.png"
    ):
        part(block)
    empty = media.write(tmp_path / "empty.wav", b"")
    with pytest.raises(OmniInputError, match="is empty"):
        part({"type": "audio", "extras": media.sealed(empty)})


def test_url_in_errors_is_shortened() -> None:
    with pytest.raises(OmniInputError) as caught:
        part({"type": "image", "url": "gopher://" + "x" * 10_000})
    assert len(str(caught.value)) < 400


def test_non_dict_block_and_unknown_message() -> None:
    with pytest.raises(OmniInputError, match="Message 0, block 1: a block must be"):
        _convert._content_parts(["a", 3], 0, _convert._MediaReader())
    with pytest.raises(OmniInputError, match="Message 0 is a FunctionMessage"):
        wire_of([FunctionMessage(name="f", content="x")])


# --------------------------------------------------- assistant, tool messages
def test_assistant_speech_is_dropped_for_its_text() -> None:
    message = AIMessage(
        content=[
            {"type": "text", "text": "Here "},
            {"type": "audio", "base64": "AAAA", "mime_type": "audio/pcm"},
            {"type": "reasoning", "reasoning": "hmm"},
            {"type": "text", "text": "it is."},
        ],
        additional_kwargs={"audio": {"id": "a1", "data": "AAAA", "transcript": "x"}},
    )
    (wire,) = wire_of([message])
    assert wire == {"role": "assistant", "content": "Here it is."}
    assert type(wire["content"]) is str


def test_assistant_media_is_converted_for_the_rules_to_judge() -> None:
    """Media (not speech) stays, so `strict=True` can refuse it; rules flatten it."""
    message = AIMessage(
        content=[
            "Here ",
            {"type": "image", "url": "https://x.test/a.png"},
            {"type": "audio", "base64": "AAAA"},
            {"type": "text", "text": "it is."},
        ]
    )
    turn = convert_messages([HumanMessage("draw"), message])[1]
    assert turn.role == "assistant"
    assert turn.text == "Here it is."
    assert [(m.kind, m.url) for m in turn.media] == [("image", "https://x.test/a.png")]
    assert wire_of([message]) == [{"role": "assistant", "content": "Here it is."}]
    with pytest.raises(OmniInputError, match=r"Message 0, block 0: .*refused"):
        wire_of([AIMessage(content=[{"type": "image", "url": "file:///a"}])])


def test_assistant_speech_without_text_keeps_the_transcript() -> None:
    spoken = AIMessage(
        content="",
        additional_kwargs={"audio": {"data": "AAAA", "transcript": "Hello!"}},
    )
    v1_audio = AIMessage(
        content=[{"type": "audio", "base64": "AAAA", "extras": {"transcript": "Hi!"}}]
    )
    assert wire_of([spoken, v1_audio]) == [
        {"role": "assistant", "content": "Hello!"},
        {"role": "assistant", "content": "Hi!"},
    ]


def test_assistant_tool_calls_and_tool_results() -> None:
    call = {"name": "add", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}
    wire = wire_of(
        [
            AIMessage(content="", tool_calls=[call]),
            ToolMessage(content=[{"type": "text", "text": "2"}], tool_call_id="call_1"),
        ]
    )
    assert wire == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "2"},
    ]
    assert type(wire[1]["content"]) is str


def test_chat_message_roles() -> None:
    wire = wire_of(
        [
            ChatMessage(role="user", content=[image_block("https://x.test/a.png")]),
            ChatMessage(role="assistant", content=[{"type": "text", "text": "ok"}]),
        ]
    )
    assert wire == [
        {"role": "user", "content": [image_part("https://x.test/a.png")]},
        {"role": "assistant", "content": "ok"},
    ]


def test_conversion_does_not_change_the_messages(tmp_path: Path) -> None:
    path = media.write(tmp_path / "a.wav", media.wav())
    blocks: list[Any] = [
        audio_block(path),
        {"type": "input_audio", "input_audio": {"data": WAV64}},
    ]
    message = HumanMessage(content=blocks)
    before = repr(message)
    wire_of([message])
    assert repr(message) == before


def test_a_local_path_not_sealed_here_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = media.write(tmp_path / "secret.png", media.png())
    reads: list[str] = []
    real_read = Path.read_bytes

    def spying_read(self: Path) -> bytes:
        reads.append(str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", spying_read)
    moved_seal = media.sealed(tmp_path / "other.png")["seal"]  # genuine, other path
    for seal in (None, "0" * 64, 7, moved_seal):
        extras = (
            {"path": str(secret)}
            if seal is None
            else {"path": str(secret), "seal": seal}
        )
        with pytest.raises(
            OmniInputError, match=r"not made by image_block\(\) in this"
        ):
            part({"type": "image", "extras": extras})
    assert reads == []
    url = part(image_block(secret))["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert reads == [str(secret)]


# --------------------------------------------- media measured once per process
def test_a_history_resent_every_turn_is_decoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = _convert.check_base64  # type: ignore[attr-defined]

    def counting(data: str, **kwargs: Any) -> Any:
        calls.append(len(data))
        return real(data, **kwargs)

    monkeypatch.setattr(_convert, "check_base64", counting)
    history: list[BaseMessage] = [
        HumanMessage(content_blocks=[audio_block(media.wav(0.5))]),
        HumanMessage("What is it?"),
    ]
    first = convert_messages(history)
    history += [AIMessage("A tone."), HumanMessage("Louder?")]
    second = convert_messages(history)
    assert len(calls) == 1  # the second turn reuses the first turn's measures
    assert second[0].media == first[0].media
    assert second[0].media[0].seconds == pytest.approx(0.5)
