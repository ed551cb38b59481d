"""The emulator's own wire reader and strict data URL decoder (pure, no server)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from langchain_qwen_omni.emulator import wire
from langchain_qwen_omni.emulator.measure import (
    DataUrlError,
    decode_data_url,
    measure,
    measure_data,
)
from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.tools import build_answer
from langchain_qwen_omni.emulator.validation import validate_request
from langchain_qwen_omni.emulator.wire import MediaRef, read_request
from tests import media

PART_CHOICES = "'text', 'image_url', 'input_audio', 'video' or 'video_url'"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_messages_parts_and_media_are_read_in_order() -> None:
    request = read_request(
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Look"},
                        {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
                        {
                            "type": "input_audio",
                            "input_audio": {
                                "data": "data:;base64,AAAA",
                                "format": "wav",
                            },
                        },
                        {
                            "type": "video",
                            "video": ["https://x/1.jpg", "https://x/2.jpg"],
                        },
                        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
                        {"type": "text", "text": "and listen."},
                    ],
                },
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "tool", "content": "7", "tool_call_id": "c"},
            ]
        }
    )
    assert request.problems == ()
    system, user, assistant, tool = request.messages
    assert (system.role, system.text) == ("system", "Be brief.")
    assert user.text == "Look and listen."
    assert user.kinds == {"image", "audio", "video"}
    assert [p.type for p in user.files] == [
        "image_url",
        "input_audio",
        "video",
        "video_url",
    ]
    assert assistant.parts == ()
    assert tool.text == "7"
    refs = list(request.media())
    assert [(r.kind, r.part_type, r.inline) for r in refs] == [
        ("image", "image_url", False),
        ("audio", "input_audio", True),
        ("image", "video", False),
        ("image", "video", False),
        ("video", "video_url", False),
    ]
    assert refs[1].where == "messages[1].content[2].input_audio.data"
    assert refs[3].where == "messages[1].content[3].video[1]"
    assert request.last_user() is user


@pytest.mark.parametrize(
    ("part", "problem"),
    [
        (
            {"type": "image", "url": "https://x/a.png"},
            f"Input should be {PART_CHOICES}: messages[0].content[1].type",
        ),
        (
            {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"},
            f"Input should be {PART_CHOICES}: messages[0].content[1].type",
        ),
        (
            {"type": "file", "file": {"file_data": "AAAA"}},
            f"Input should be {PART_CHOICES}: messages[0].content[1].type",
        ),
        (
            {"url": "https://x/a.png"},
            f"Input should be {PART_CHOICES}: messages[0].content[1].type",
        ),
        (
            {"type": "image_url", "image_url": "https://x/a.png"},
            "Input should be a valid string: messages[0].content[1].image_url.url",
        ),
        (
            {"type": "input_audio", "input_audio": {"url": "https://x/a.wav"}},
            "Input should be a valid string: messages[0].content[1].input_audio.data",
        ),
        (
            {"type": "video", "video": "https://x/1.jpg"},
            "Input should be a valid list of image URLs: messages[0].content[1].video",
        ),
        (
            {"type": "text", "text": None},
            "Input should be a valid string: messages[0].content[1].text",
        ),
        ("just text", "Input should be a valid dictionary: messages[0].content[1]"),
    ],
)
def test_parts_the_api_does_not_take_are_problems(part: Any, problem: str) -> None:
    content = [{"type": "text", "text": "Hi"}, part]
    request = read_request({"messages": [{"role": "user", "content": content}]})
    assert request.problems == (problem,)
    assert [p.type for p in request.messages[0].parts] == ["text"]  # left out


def test_messages_the_api_does_not_take_are_problems() -> None:
    request = read_request(
        {
            "messages": [
                "hi",
                {"role": "developer", "content": "x"},
                {"role": "user", "content": 3},
                {"role": "user", "content": None},
            ]
        }
    )
    assert request.problems == (
        "Input should be a valid dictionary: messages[0]",
        "Input should be 'system', 'user', 'assistant' or 'tool': messages[1].role",
        "Input should be a valid string or list: messages[2].content",
        "Input should be a valid string or list: messages[3].content",
    )


# --- data URLs ----------------------------------------------------------------


def test_data_urls_decode_strictly_with_the_standard_library() -> None:
    png = media.png(12, 12)
    assert decode_data_url(f"data:Image/PNG;base64,{_b64(png)}") == ("image/png", png)
    assert decode_data_url("data:;base64,") == ("", b"")
    assert decode_data_url("DATA:;BASE64,AAAA") == ("", b"\0\0\0")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("data:image/png,AAAA", "does not end in ';base64'"),
        ("data:image/png;base64", "must look like"),
        ("https://x/a.png", "must look like"),
        ("data:;base64,AAA", "not valid base64"),  # padding missing
        ("data:;base64,AA AA", "not valid base64"),  # space
        ("data:;base64,AA\nAA", "not valid base64"),  # line break
        ("data:;base64,AA-_", "not valid base64"),  # URL-safe alphabet
    ],
)
def test_broken_data_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(DataUrlError, match=reason):
        decode_data_url(url)


def test_measuring_inline_media_by_kind() -> None:
    image = measure_data(media.png(32, 16), "image")
    assert (image.format, image.width, image.height) == ("png", 32, 16)
    audio = measure_data(media.wav(0.5), "audio")
    assert (audio.format, audio.seconds) == ("wav", 0.5)
    video = measure_data(media.mp4(2.0), "video")
    assert video.format == "mp4"
    assert video.seconds == pytest.approx(2.0, abs=0.1)
    assert (video.width, video.height) == (32, 32)
    unknown = measure_data(b"\x00" * 40, "image")
    assert (unknown.format, unknown.width, unknown.size) == (None, None, 40)


def test_measure_skips_remote_urls_and_caches_results_and_failures() -> None:
    remote = MediaRef("image", "image_url", "https://x/a.png", "here")
    assert measure(remote) is None
    wav = media.wav(0.25)
    ref = MediaRef("audio", "input_audio", f"data:;base64,{_b64(wav)}", "here")
    first = measure(ref)
    assert first is not None
    assert first.seconds == 0.25
    assert measure(ref) is first  # measured once
    broken = MediaRef("audio", "input_audio", "data:;base64,@@@@", "here")
    with pytest.raises(DataUrlError):
        measure(broken)
    with pytest.raises(DataUrlError):
        measure(broken)


def test_the_last_reading_is_reused_only_for_the_very_same_messages() -> None:
    messages = [{"role": "user", "content": "Hi"}]
    first = read_request({"messages": messages})
    assert read_request({"model": "other", "messages": messages}) is first
    copy = read_request({"messages": [dict(messages[0])]})
    assert copy is not first
    assert copy == first
    assert (
        read_request({"messages": [{"role": "user", "content": "Bye"}]})
        .messages[0]
        .text
        == "Bye"
    )


def test_a_request_is_read_once_from_its_rules_to_its_usage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings: list[object] = []
    real_read = wire._read

    def counted(raw: object) -> wire.WireRequest:
        readings.append(raw)
        return real_read(raw)

    monkeypatch.setattr(wire, "_read", counted)
    body = {
        "model": "qwen3.5-omni-plus",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
    }
    assert validate_request(body) is None
    chunks = build_answer(
        body, EmulatorOptions(), completion_id="c", created=0, audio_id="a"
    )
    assert chunks[-1]["usage"]["prompt_tokens"] > 0
    assert readings == [body["messages"]]
