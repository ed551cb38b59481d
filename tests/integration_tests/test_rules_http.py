"""Omni's rules end to end: repairs on the wire, and the server's own checks.

The first half sends conversations through `ChatQwenOmni` and asserts on the
body the emulator received. The second half posts bodies with httpx
directly, bypassing the client's checks, and shows the emulator refusing
them with the API's status and error texts.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniConversationError,
    OmniInputError,
    audio_block,
    image_block,
    video_frames_block,
)
from tests import media

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator import OmniEmulator


def data_url(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_part(data: bytes | None = None, url: str | None = None) -> dict[str, Any]:
    value = url or data_url(data or media.png(32, 16), "image/png")
    return {"type": "image_url", "image_url": {"url": value}}


def audio_part(data: bytes | None = None, url: str | None = None) -> dict[str, Any]:
    value = url or data_url(data or media.wav(0.5))
    return {"type": "input_audio", "input_audio": {"data": value, "format": "wav"}}


def video_part(data: bytes | None = None) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": data_url(data or media.mp4())}}


def frames_part(count: int) -> dict[str, Any]:
    return {"type": "video", "video": [f"https://x.test/{i}.jpg" for i in range(count)]}


def human(*parts: Any) -> HumanMessage:
    """A user message from OpenAI-format parts and standard blocks alike."""
    return HumanMessage(content=list(parts))


def model(emu: OmniEmulator, **kwargs: Any) -> ChatQwenOmni:
    return ChatQwenOmni(
        base_url=emu.base_url, api_key="sk-emulator", max_retries=0, **kwargs
    )


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- repairs, as the server receives them ---------------------------------------


def test_mixed_media_message_arrives_split(
    emu: OmniEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    message = human(
        {"type": "text", "text": "What do you see and hear?"},
        image_part(),
        audio_block(media.wav(0.5)),
    )
    with caplog.at_level(logging.WARNING):
        answer = model(emu).invoke([message])
    sent = emu.requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "user"]
    assert [p["type"] for p in sent[0]["content"]] == ["image_url"]
    assert [p["type"] for p in sent[1]["content"]] == ["text", "input_audio"]
    assert "I received 2 messages (user, user)" in answer.text
    assert "Inline media: input_audio 1: wav, 0.50 s" in answer.text
    assert len(warnings_of(caplog)) == 1


# --- multi-turn voice, per family --------------------------------------------


def voice_turns(
    chat: ChatQwenOmni, *, turns: int = 4, transcripts: bool = True
) -> list[Any]:
    """Talk for `turns` turns: a recording in, a spoken answer kept in history."""
    history: list[Any] = []
    for number in range(turns):
        words = f"question {number}" if transcripts else None
        history.append(
            HumanMessage(
                content_blocks=[
                    audio_block(media.wav(0.25 + number / 8), transcript=words)
                ]
            )
        )
        answer = chat.invoke(history)
        assert answer.additional_kwargs["audio"]["data"]  # spoken
        history.append(answer)
    return history


def sent_audio(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part["input_audio"]
        for message in body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "input_audio"
    ]


def test_four_voice_turns_on_a_one_audio_family(
    emu: OmniEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ChatQwenOmni(
        base_url=emu.base_url, api_key="sk", modalities=["text", "audio"]
    )
    with caplog.at_level(logging.WARNING):
        voice_turns(chat)
    assert len(emu.requests) == 4
    for number, request in enumerate(emu.requests):
        body = request.body
        assert len(sent_audio(body)) == 1  # the latest recording is heard
        users = [m for m in body["messages"] if m["role"] == "user"]
        assert [m["content"] for m in users[:-1]] == [
            [{"type": "text", "text": f"question {i}"}] for i in range(number)
        ]
        assistants = [m for m in body["messages"] if m["role"] == "assistant"]
        assert all(isinstance(m["content"], str) and m["content"] for m in assistants)
    repairs = [r for r in caplog.records if "limited number of files" in r.message]
    assert len(repairs) == 1  # warned once, not every turn


def test_four_voice_turns_strict_raises_on_a_one_audio_family(
    emu: OmniEmulator,
) -> None:
    chat = ChatQwenOmni(
        base_url=emu.base_url, api_key="sk", modalities=["text", "audio"]
    )
    history = voice_turns(chat, turns=2)
    strict = chat.model_copy(update={"strict": True})
    emu.clear()
    with pytest.raises(OmniConversationError, match=r"Message 0, block 0: .* 1 audio"):
        strict.invoke(history)
    assert emu.requests == []


def test_four_voice_turns_on_a_many_audio_family(emu: OmniEmulator) -> None:
    chat = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk",
        model="qwen3.5-omni-flash",
        modalities=["text", "audio"],
        strict=True,
    )
    voice_turns(chat, transcripts=False)
    assert [len(sent_audio(r.body)) for r in emu.requests] == [1, 2, 3, 4]
    assert emu.requests[-1].body["audio"] == {"voice": "Tina", "format": "wav"}


def test_system_prompt_reaches_turbo_inside_the_user_turn(emu: OmniEmulator) -> None:
    speaker = model(emu, model="qwen-omni-turbo", modalities=["text", "audio"])
    answer = speaker.invoke([SystemMessage("Answer in French."), HumanMessage("Hi")])
    sent = emu.requests[-1].body
    assert sent["messages"] == [{"role": "user", "content": "Answer in French.\n\nHi"}]
    assert sent["audio"]["voice"] == "Cherry"
    assert "says: 'Answer in French. Hi'" in answer.text


async def test_too_many_frames_arrive_subsampled_async(emu: OmniEmulator) -> None:
    frames = [f"https://x.test/{i}.jpg" for i in range(100)]
    chat = model(emu, model="qwen-omni-turbo")
    await chat.ainvoke([human(video_frames_block(frames))])
    (part,) = emu.requests[-1].body["messages"][0]["content"]
    assert part["type"] == "video"
    assert len(part["video"]) == 80
    assert part["video"][0] == frames[0]
    assert part["video"][-1] == frames[-1]


async def test_strict_raises_before_any_request(emu: OmniEmulator) -> None:
    chat = model(emu, strict=True)
    messages = [human(image_part(), audio_block(media.wav(0.5)))]
    with pytest.raises(OmniConversationError, match="one kind of media"):
        chat.invoke(messages)
    with pytest.raises(OmniConversationError, match="one kind of media"):
        await chat.ainvoke(messages)
    with pytest.raises(OmniConversationError, match="one kind of media"):
        async for _ in chat.astream(messages):
            pass
    assert emu.requests == []


def test_limits_override_lets_a_newer_model_take_more(emu: OmniEmulator) -> None:
    frames = [media.png(16, 16, seed=i) for i in range(3)]
    message = human(video_frames_block(frames))
    turbo = model(emu, model="qwen-omni-turbo")
    with pytest.raises(OmniInputError, match="takes 4 to 80"):
        turbo.invoke([message])
    assert emu.requests == []
    flash = model(emu)  # 2..128 frames
    answer = flash.invoke([message])
    assert "Inline media: video 1: 3 frames, 3 inline" in answer.text


def test_image_block_dimensions_checked_before_sending(emu: OmniEmulator) -> None:
    chat = model(emu)
    with pytest.raises(OmniInputError, match=r"Message 1, block 0: .*4000x10 px"):
        chat.invoke(
            [
                AIMessage("Send an image."),
                human(image_block(media.png(4000, 10))),
            ]
        )
    assert emu.requests == []
    answer = chat.invoke([human(image_block(media.png(40, 20)))])
    assert "image_url 1: png, 40x20 px" in answer.text


# --- the server's own checks, with the client bypassed --------------------------


def post(emu: OmniEmulator, *messages: dict[str, Any], **params: Any) -> httpx.Response:
    body = {"model": "qwen3-omni-flash", "messages": list(messages), "stream": True}
    body.update(params)
    return httpx.post(f"{emu.base_url}/chat/completions", json=body, timeout=30)


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(parts)}


def refused(response: httpx.Response) -> str:
    """The refusal's message, after checking the API's envelope and prefix."""
    assert response.status_code == 400, response.text
    body = response.json()
    error = body["error"]
    assert error["code"] == "invalid_parameter_error"
    assert body["id"].startswith("chatcmpl-")
    assert body["request_id"]
    prefix = "<400> InternalError.Algo.InvalidParameter: "
    assert error["message"].startswith(prefix)
    return str(error["message"]).removeprefix(prefix)


def test_server_refuses_a_data_url_over_the_cap(emu: OmniEmulator) -> None:
    header = "data:audio/x-wave;base64,"
    wav = media.wav_of_size((10_485_760 - 24) // 4 * 3)
    url = header + base64.b64encode(wav).decode()
    assert len(url) == 10_485_761
    assert refused(post(emu, user(audio_part(url=url)))) == (
        "Exceeded limit on max bytes per data-uri item : 10485760"
    )
    inside = "data:audio/x-wav;base64," + url[len(header) :]
    assert post(emu, user(audio_part(url=inside))).status_code == 200


def test_server_refuses_a_video_too_long(emu: OmniEmulator) -> None:
    long_video = video_part(media.mp4(40.25, audio=False))
    response = post(emu, user(long_video), model="qwen-omni-turbo")
    assert refused(response) == (
        "The video modality input does not meet the requirements because: "
        "The video file is too long."
    )
    fits = video_part(media.mp4(40.0, audio=False))
    assert post(emu, user(fits), model="qwen-omni-turbo").status_code == 200


@pytest.mark.parametrize(
    ("messages", "params", "expected"),
    [
        (
            [user(image_part(), audio_part())],
            {},
            "may contain only one type of multimodal input",
        ),
        (
            [user(audio_part()), user(audio_part())],
            {},
            "only one audio file is supported per request",
        ),
        (
            [user(video_part()), user(video_part())],
            {},
            "only one video file is supported per request",
        ),
        (
            [user(image_part()), {"role": "assistant", "content": [image_part()]}],
            {},
            "assistant message may contain text only",
        ),
        ([user(frames_part(3))], {"model": "qwen-omni-turbo"}, "between 4 and 80"),
        ([user(frames_part(129))], {}, "between 2 and 128"),
        (
            [user(image_part(url="file:///etc/passwd"))],
            {},
            "The provided URL does not appear to be valid.",
        ),
        (
            [user(image_part(url="data:image/png;base64,@@@@"))],
            {},
            "The provided URL does not appear to be valid.",
        ),
        ([user(audio_part(url="data:;base64,"))], {}, "The audio is empty"),
        (
            [user(image_part(media.png(10, 64)))],
            {},
            "The image length and width do not meet the model restrictions.",
        ),
        (
            [user(image_part(media.png(2201, 11)))],
            {},
            "The image length and width do not meet the model restrictions.",
        ),
        (
            [user(audio_part(media.wav_of_size(44 + 2 * 180_002, sample_rate=1000)))],
            {"model": "qwen-omni-turbo"},
            "The audio file is too long.",
        ),
        (
            [user(audio_part())],
            {"model": "qwen3-omni-30b-a3b-captioner", "modalities": ["text", "audio"]},
            "does not support audio output",
        ),
        (
            [{"role": "user", "content": "Hi"}],
            {"modalities": ["text", "audio"], "enable_thinking": True},
            "not supported in thinking mode",
        ),
        (
            [{"role": "user", "content": "Hi"}],
            {"modalities": ["audio"]},
            "parameters.modalities",
        ),
        (
            [{"role": "user", "content": "Hi"}],
            {"model": "qwen-omni-turbo", "max_tokens": 2049},
            "Range of max_tokens should be [1, 2048]",
        ),
    ],
)
def test_server_refuses_what_the_client_would_stop(
    emu: OmniEmulator, messages: list[dict[str, Any]], params: dict, expected: str
) -> None:
    assert expected in refused(post(emu, *messages, **params))


def test_server_accepts_a_valid_multimodal_request_and_describes_it(
    emu: OmniEmulator,
) -> None:
    response = post(
        emu,
        user(image_part(media.jpeg(64, 48)), image_part(url="https://x.test/a.png")),
        user(audio_part(media.mp3(1.0))),
        user(video_part(media.mp4(2.0)), {"type": "text", "text": "And this?"}),
    )
    assert response.status_code == 200
    chunks = [
        json.loads(line.removeprefix("data: "))
        for line in response.text.split("\n\n")
        if line.startswith("data: {")
    ]
    text = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
    )
    assert "I received 3 messages (user, user, user)" in text
    assert "Inline media: video_url 1: mp4, 2.00 s" in text


def test_the_same_bad_request_through_the_client_never_leaves(
    emu: OmniEmulator,
) -> None:
    too_long = video_part(media.mp4(40.25, audio=False))
    assert post(emu, user(too_long), model="qwen-omni-turbo").status_code == 400
    emu.clear()
    with pytest.raises(OmniInputError, match=r"lasts 40\.25 s; qwen-omni-turbo"):
        model(emu, model="qwen-omni-turbo").invoke([human(too_long)])
    assert emu.requests == []


def test_a_repair_warns_once_then_logs_at_debug(
    emu: OmniEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    message = human(
        {"type": "text", "text": "What do you see and hear?"},
        image_part(),
        audio_block(media.wav(0.5)),
    )
    chat = model(emu)
    with caplog.at_level(logging.DEBUG, logger="langchain_qwen_omni"):
        chat.invoke([message])
        chat.invoke([message])
    repairs = [r for r in caplog.records if "strict=True" in r.getMessage()]
    assert [r.levelno for r in repairs] == [logging.WARNING, logging.DEBUG]
    assert [m["role"] for m in emu.requests[-1].body["messages"]] == ["user", "user"]
