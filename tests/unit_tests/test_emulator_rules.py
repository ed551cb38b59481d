"""The emulator's rules per family, from its own facts table (pure, no server).

Each rule is shown refusing on the family the doc says refuses, and accepting
on the family that takes the same request; facts the doc marks M or L are
shown accepted (and logged).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from langchain_qwen_omni.emulator.rules import check_counts
from langchain_qwen_omni.emulator.validation import NON_STREAM_MESSAGE, validate_request
from tests import media

PLUS = "qwen3.5-omni-plus"
FLASH35 = "qwen3.5-omni-flash"
OMNI38 = "qwen3.8-omni-flash"
FLASH = "qwen3-omni-flash"
FLASH_1201 = "qwen3-omni-flash-2025-12-01"
FLASH_0915 = "qwen3-omni-flash-2025-09-15"
TURBO = "qwen-omni-turbo"
QWEN25 = "qwen2.5-omni-7b"
CAPTIONER = "qwen3-omni-30b-a3b-captioner"
PREFIX = "<400> InternalError.Algo.InvalidParameter: "
TINY = "data:;base64,AAAA"
"""A data URL whose content no count rule looks at."""


def data_url(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image(url: str | None = None, data: bytes | None = None) -> dict[str, Any]:
    url = url or data_url(data if data is not None else media.png(), "image/png")
    return {"type": "image_url", "image_url": {"url": url}}


def audio(url: str | None = None, data: bytes | None = None) -> dict[str, Any]:
    url = url or data_url(data if data is not None else media.wav(0.5))
    return {"type": "input_audio", "input_audio": {"data": url, "format": "wav"}}


def video(url: str | None = None, data: bytes | None = None) -> dict[str, Any]:
    url = url or data_url(data if data is not None else media.mp4(2.0))
    return {"type": "video_url", "video_url": {"url": url}}


def frames(count: int) -> dict[str, Any]:
    return {"type": "video", "video": [f"https://x.test/{i}.jpg" for i in range(count)]}


def user(*parts: dict[str, Any] | str) -> dict[str, Any]:
    if len(parts) == 1 and isinstance(parts[0], str):
        return {"role": "user", "content": parts[0]}
    return {"role": "user", "content": list(parts)}


def body(model: str, *messages: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": list(messages) or [user("Hi")],
        "stream": True,
        **params,
    }


def refusal(payload: dict[str, Any]) -> str | None:
    """The emulator's refusal without the API's prefix, or `None` if accepted."""
    error = validate_request(payload)
    if error is None:
        return None
    assert error.status == 400
    assert error.message == PREFIX + error.detail
    return error.detail


SPEECH = {"modalities": ["text", "audio"]}


def speech(voice: str) -> dict[str, Any]:
    return {**SPEECH, "audio": {"voice": voice, "format": "wav"}}


# --- output and voices --------------------------------------------------------


def test_speech_only_where_the_family_speaks() -> None:
    assert refusal(body(OMNI38, **SPEECH)) == (
        "The model qwen3.8-omni-flash does not support audio output."
    )
    assert refusal(body(CAPTIONER, **SPEECH)) == (
        "The model qwen3-omni-30b-a3b-captioner does not support audio output."
    )
    for model in (PLUS, FLASH35, FLASH, TURBO, QWEN25):
        assert refusal(body(model, **SPEECH)) is None, model
    assert refusal(body(OMNI38, modalities=["text"])) is None


def test_voices_per_family() -> None:
    assert refusal(body(TURBO, **speech("Ryan"))) == (
        "Input should be 'Cherry', 'Serena', 'Ethan' or 'Chelsie': "
        "parameters.audio.voice"
    )
    assert refusal(body(QWEN25, **speech("Cherry"))) == (
        "Input should be 'Ethan' or 'Chelsie': parameters.audio.voice"
    )
    old = refusal(body(FLASH_0915, **speech("Serena")))
    assert old is not None
    assert old.startswith("Input should be 'Cherry', 'Ethan', 'Nofish',")
    assert old.endswith("'Kiki' or 'Eric': parameters.audio.voice")
    assert refusal(body(FLASH_1201, **speech("Serena"))) is None
    assert refusal(body(FLASH_1201, **speech("Eldric Sage"))) is None
    assert "parameters.audio.voice" in str(refusal(body(FLASH_1201, **speech("Bob"))))
    # Which list the bare alias takes is M, and 3.5's list is incomplete.
    assert refusal(body(FLASH, **speech("Bob"))) is None
    assert refusal(body(PLUS, **speech("Tina"))) is None
    assert refusal(body(PLUS, **speech("Anyone"))) is None
    assert refusal(body(TURBO, **speech("Cherry"), max_tokens=5)) is None
    assert refusal(body(TURBO, modalities=["text"], audio={"voice": "Bob"})) is None


def test_audio_parameter_shape() -> None:
    assert refusal(
        body(FLASH, **SPEECH, audio={"voice": "Cherry", "format": "mp3"})
    ) == ("Input should be 'wav': parameters.audio.format")
    assert refusal(body(FLASH, **SPEECH, audio="Cherry")) == (
        "Input should be a valid dictionary: parameters.audio"
    )
    assert refusal(body(FLASH, **SPEECH, audio={"voice": 3})) == (
        "Input should be a valid string: parameters.audio.voice"
    )
    assert refusal(body(FLASH, modalities=["audio"])) == (
        "Input should be ['text'] or ['text', 'audio']: parameters.modalities"
    )


# --- thinking -----------------------------------------------------------------


def test_thinking_per_family() -> None:
    assert refusal(body(PLUS, enable_thinking=True)) == (
        "The model qwen3.5-omni-plus does not support thinking: "
        "parameters.enable_thinking"
    )
    assert refusal(body(TURBO, enable_thinking=True)) is not None
    assert refusal(body(PLUS, enable_thinking=False)) is None  # asks for nothing
    assert refusal(body(FLASH, enable_thinking=True)) is None
    assert refusal(body(OMNI38, enable_thinking=False)) is None
    assert refusal(body(FLASH, enable_thinking="yes")) == (
        "Input should be a valid boolean: parameters.enable_thinking"
    )


def test_thinking_controls_only_where_documented() -> None:
    for control, value in (("reasoning_effort", "low"), ("preserve_thinking", True)):
        assert refusal(body(OMNI38, **{control: value})) is None
        assert refusal(body(FLASH, **{control: value})) == (
            f"The model qwen3-omni-flash does not support {control}: "
            f"parameters.{control}"
        )
        assert refusal(body(PLUS, **{control: value})) is not None
    assert refusal(body(OMNI38, thinking_budget=1024)) is None
    assert refusal(body(FLASH, enable_thinking=True, thinking_budget=1024)) is None
    assert refusal(body(PLUS, thinking_budget=1024)) is not None
    assert refusal(body(OMNI38, reasoning_effort="high", thinking_budget=10)) == (
        "reasoning_effort cannot be combined with thinking_budget: "
        "parameters.thinking_budget"
    )
    assert refusal(body(OMNI38, thinking_budget=0)) == (
        "Input should be a positive integer: parameters.thinking_budget"
    )
    assert refusal(body(OMNI38, preserve_thinking="on")) == (
        "Input should be a valid boolean: parameters.preserve_thinking"
    )


def test_reasoning_effort_names_between_none_and_max_are_not_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="langchain_qwen_omni.emulator"):
        assert refusal(body(OMNI38, reasoning_effort="minimal")) is None
    assert "reasoning_efforts is M" in caplog.text


def test_speech_is_refused_in_thinking_mode() -> None:
    assert "not supported in thinking mode" in str(
        refusal(body(FLASH, enable_thinking=True, **SPEECH))
    )


# --- other parameters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "families"),
    [
        ("enable_search", (OMNI38, PLUS, FLASH35)),
        ("vl_high_resolution_images", (OMNI38, PLUS, FLASH35)),
        ("use_multichannel", (OMNI38,)),
    ],
)
def test_switches_per_family(name: str, families: tuple[str, ...]) -> None:
    for model in (OMNI38, PLUS, FLASH35, FLASH, TURBO, QWEN25):
        message = refusal(body(model, **{name: True}))
        if model in families:
            assert message is None, model
        else:
            assert message == (
                f"The model {model} does not support {name}: parameters.{name}"
            )
        assert refusal(body(model, **{name: False})) is None
    assert refusal(body(PLUS, **{name: "yes"})) == (
        f"Input should be a valid boolean: parameters.{name}"
    )


def test_search_options_is_an_object() -> None:
    options = {"search_strategy": "agent"}
    assert refusal(body(PLUS, enable_search=True, search_options=options)) is None
    assert refusal(body(PLUS, enable_search=True, search_options="agent")) == (
        "Input should be a valid dictionary: parameters.search_options"
    )


@pytest.mark.parametrize(
    ("model", "most", "message"),
    [
        (OMNI38, 131_072, "Range of max_tokens should be [1, 131072]"),
        (FLASH, 16_384, "Range of max_tokens should be [1, 16384]"),
        (TURBO, 2_048, "Range of max_tokens should be [1, 2048]"),
        (QWEN25, 2_048, "Range of max_tokens should be [10, 2048]"),
        (CAPTIONER, 32_768, "Range of max_tokens should be [1, 32768]"),
    ],
)
def test_max_tokens_per_family(model: str, most: int, message: str) -> None:
    assert refusal(body(model, max_tokens=most)) is None
    assert refusal(body(model, max_tokens=most + 1)) == message
    assert refusal(body(model, max_tokens=0)) == message
    assert refusal(body(model, max_tokens=True)) == message
    assert refusal(body(model, max_tokens=10.0)) == message


def test_max_tokens_bounds_the_doc_is_unsure_of_refuse_nothing() -> None:
    assert refusal(body(PLUS, max_tokens=65_537)) is None  # 65,536 is M
    assert refusal(body(FLASH35, max_tokens=500_000)) is None  # unpublished
    assert refusal(body(QWEN25, max_tokens=5)) is None  # [10, 2048] is L
    assert refusal(body(FLASH35, max_tokens=0)) == (
        "Range of max_tokens should be [1, ...]"
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"temperature": 2.0}, "Range of temperature should be [0.0, 2.0)"),
        ({"temperature": -0.1}, "Range of temperature should be [0.0, 2.0)"),
        ({"top_p": 0}, "Range of top_p should be (0.0, 1.0]"),
        ({"top_p": 1.01}, "Range of top_p should be (0.0, 1.0]"),
        ({"presence_penalty": 2.5}, "Range of presence_penalty should be [-2.0, 2.0]"),
        ({"seed": -1}, "Range of seed should be [0, 9223372036854775807]"),
        ({"seed": 2**63}, "Range of seed should be [0, 9223372036854775807]"),
        ({"temperature": "hot"}, "Range of temperature should be [0.0, 2.0)"),
    ],
)
def test_sampling_ranges(params: dict[str, Any], message: str) -> None:
    assert refusal(body(FLASH, **params)) == message


def test_sampling_ranges_accept_their_edges() -> None:
    edges = {"temperature": 0, "top_p": 1, "presence_penalty": -2, "seed": 2**63 - 1}
    assert refusal(body(FLASH, **edges)) is None


def test_tools_per_family() -> None:
    tools = [{"type": "function", "function": {"name": "add"}}]
    assert refusal(body(TURBO, tools=tools)) == "The tool call is not supported."
    assert refusal(body(QWEN25, tools=tools)) == "The tool call is not supported."
    assert refusal(body(CAPTIONER, tools=tools)) == "The tool call is not supported."
    for model in (OMNI38, FLASH, PLUS):  # on 3.5 tools are L: accepted
        assert refusal(body(model, tools=tools)) is None


def test_stream_is_required_except_where_reported_otherwise() -> None:
    assert refusal(body(FLASH, stream=False)) == NON_STREAM_MESSAGE
    assert refusal(body(PLUS, stream=False)) == NON_STREAM_MESSAGE
    assert refusal(body(OMNI38, stream=False)) is None  # L: reported to work


def test_realtime_models_are_not_chat_models() -> None:
    assert refusal(body("qwen3.5-omni-plus-realtime")) == (
        "The model qwen3.5-omni-plus-realtime is a realtime model: use the "
        "realtime API (WebSocket) instead of chat completions."
    )


def test_unknown_models_are_refused_nothing_on_their_own_account() -> None:
    anything = body(
        "qwen9-omni",
        user(image(), audio(), frames(3000)),
        user(audio()),
        enable_thinking=True,
        reasoning_effort="low",
        max_tokens=10**7,
        tools=[{"type": "function", "function": {"name": "add"}}],
    )
    assert refusal(anything) is None


# --- the conversation ---------------------------------------------------------


def test_unknown_part_types_and_unconverted_blocks_are_refused() -> None:
    choices = "'text', 'image_url', 'input_audio', 'video' or 'video_url'"
    for block in (
        {"type": "image", "url": "https://x/a.png"},
        {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"},
        {"type": "video", "url": "https://x/a.mp4"},
        {"type": "input_image", "image_url": "https://x/a.png"},
    ):
        message = refusal(body(PLUS, user({"type": "text", "text": "Hi"}, block)))
        if block["type"] == "video":  # a known type with the wrong payload
            assert message == (
                "Input should be a valid list of image URLs: "
                "messages[0].content[1].video"
            )
        else:
            assert message == f"Input should be {choices}: messages[0].content[1].type"


def test_assistant_turns_hold_text_only() -> None:
    turns = (user(image()), {"role": "assistant", "content": [image()]}, user("?"))
    for model in (PLUS, FLASH):
        assert refusal(body(model, *turns)) == (
            "The content of an assistant message may contain text only."
        )


def test_mixed_media_in_one_user_message_per_family() -> None:
    mixed = user({"type": "text", "text": "See and hear"}, image(), audio(), frames(4))
    for model in (OMNI38, PLUS, FLASH35):
        assert refusal(body(model, mixed)) is None, model
    for model in (FLASH, TURBO, QWEN25):
        assert "only one type of multimodal input" in str(refusal(body(model, mixed)))
    assert refusal(body(CAPTIONER, mixed)) is None  # no input facts: L


@pytest.mark.parametrize(
    ("model", "low", "high"),
    [(OMNI38, 2, 2_048), (PLUS, 2, 2_048), (FLASH, 2, 128), (TURBO, 4, 80)],
)
def test_image_sequence_frames_per_family(model: str, low: int, high: int) -> None:
    expected = (
        "The video modality input does not meet the requirements because: "
        f"The number of images must be between {low} and {high}."
    )
    assert refusal(body(model, user(frames(low)))) is None
    assert refusal(body(model, user(frames(high)))) is None
    assert refusal(body(model, user(frames(low - 1)))) == expected
    assert refusal(body(model, user(frames(high + 1)))) == expected


# --- counts per request -------------------------------------------------------


def test_one_file_families_take_one_audio_and_one_video_per_request() -> None:
    two_audio = (user(audio()), user(audio(url="https://x/a.mp3")))
    two_video = (user(video(url="https://x/a.mp4")), user(video(url="https://x/b.mp4")))
    for model in (FLASH, TURBO, QWEN25):
        assert refusal(body(model, *two_audio)) == (
            "The input messages do not meet the requirements: only one audio file "
            "is supported per request."
        )
        assert refusal(body(model, *two_video)) == (
            "The input messages do not meet the requirements: only one video file "
            "is supported per request."
        )
    for model in (OMNI38, PLUS, FLASH35):
        assert refusal(body(model, *two_audio)) is None
        assert refusal(body(model, *two_video)) is None


def test_many_file_families_count_urls_and_base64_apart() -> None:
    urls = [audio(url=f"https://x/{i}.mp3") for i in range(2_048)]
    assert refusal(body(PLUS, user(*urls))) is None
    assert refusal(body(PLUS, user(*urls, audio(url="https://x/more.mp3")))) == (
        "The input messages do not meet the requirements: at most 2048 audio "
        "files may be sent by URL in one request."
    )
    inline = [audio(url=TINY)] * 250
    assert refusal(body(PLUS, user(*inline))) is None
    assert refusal(body(PLUS, user(*inline, audio(url=TINY)))) == (
        "The input messages do not meet the requirements: at most 250 audio "
        "files may be sent as base64 data in one request."
    )
    assert refusal(body(PLUS, user(*urls[:2_000], *inline[:48]))) is None
    assert refusal(body(PLUS, user(*urls, *inline[:1]))) == (
        "The input messages do not meet the requirements: at most 2048 audio "
        "files may be sent in one request."
    )


def test_video_file_counts_on_3_5_and_3_8() -> None:
    videos = [video(url=f"https://x/{i}.mp4") for i in range(65)]
    assert refusal(body(OMNI38, user(*videos[:64]))) is None
    assert "at most 64 video files" in str(refusal(body(OMNI38, user(*videos))))
    assert refusal(body(PLUS, user(*videos))) is None  # 512 by URL


def test_images_per_request_are_counted_only_where_documented() -> None:
    images = [image(url=f"https://x/{i}.png") for i in range(2_049)]
    assert "at most 2048 images" in str(refusal(body(PLUS, user(*images))))
    assert refusal(body(FLASH, user(*images))) is None  # bounded by tokens only


def test_the_data_url_count_is_m_so_more_are_accepted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    many = user(*([image(url=TINY)] * 200), *([audio(url=TINY)] * 51))
    with caplog.at_level(logging.INFO, logger="langchain_qwen_omni.emulator"):
        assert check_counts(body(PLUS, many)) is None
    assert "Exceeded limit on max data-uri per request: 250" in caplog.text
    assert "data_urls_per_request is M" in caplog.text


# --- media --------------------------------------------------------------------


def test_urls_must_be_http_or_base64_data() -> None:
    invalid = "The provided URL does not appear to be valid."
    for url in ("file:///etc/passwd", "ftp://x/a.png", "data:image/png;base64,@@@@"):
        assert refusal(body(FLASH, user(image(url=url)))) == invalid
    bare = base64.b64encode(media.wav(0.2)).decode()  # no data: prefix
    assert refusal(body(FLASH, user(audio(url=bare)))) == invalid
    assert refusal(body(FLASH, user(image(url="https://x/a.png")))) is None


def test_the_data_url_cap_is_10_mb_whole() -> None:
    header = "data:;base64,"
    size = (10_485_760 - len(header)) // 4 * 3
    url = header + base64.b64encode(media.wav_of_size(size)).decode()
    assert len(url) <= 10_485_760
    assert refusal(body(PLUS, user(audio(url=url)))) is None
    over = "data:audio/x-wave;base64," + url[len(header) :]
    assert len(over) > 10_485_760
    assert refusal(body(PLUS, user(audio(url=over)))) == (
        "Exceeded limit on max bytes per data-uri item : 10485760"
    )


def test_images_sides_ratio_and_decoding() -> None:
    sides = "The image length and width do not meet the model restrictions."
    assert refusal(body(PLUS, user(image(data=media.png(10, 64))))) == sides
    assert refusal(body(PLUS, user(image(data=media.png(11, 64))))) is None
    assert refusal(body(PLUS, user(image(data=media.png(2201, 11))))) == sides
    assert refusal(body(PLUS, user(image(data=media.png(2200, 11))))) is None
    assert refusal(body(PLUS, user(image(url="data:image/png;base64,")))) == (
        "Failed to decode the image during the data inspection."
    )
    frame = data_url(media.png(8, 8), "image/png")
    sequence = {"type": "video", "video": [frame, frame]}
    assert refusal(body(PLUS, user(sequence))) == sides


def test_audio_checks() -> None:
    assert refusal(body(FLASH, user(audio(url="data:;base64,")))) == (
        "The audio is empty"
    )
    illegal = "The file format is illegal and cannot be opened."
    assert refusal(body(FLASH, user(audio(data=media.flac(0.2))))) == illegal
    assert refusal(body(FLASH, user(audio(data=media.ogg(0.2))))) == illegal
    assert refusal(body(FLASH, user(audio(data=media.mp3(0.5))))) is None
    three_minutes = media.wav_of_size(44 + 2 * 180_000, sample_rate=1000)
    longer = media.wav_of_size(44 + 2 * 180_002, sample_rate=1000)
    assert refusal(body(TURBO, user(audio(data=three_minutes)))) is None
    assert refusal(body(TURBO, user(audio(data=longer)))) == (
        "The audio modality input does not meet the requirements because: "
        "The audio file is too long."
    )
    # 20 min on flash; the guide's conflicting 150 s is not enforced.
    assert refusal(body(FLASH, user(audio(data=longer)))) is None


def test_video_checks() -> None:
    too_long = (
        "The video modality input does not meet the requirements because: "
        "The video file is too long."
    )
    forty = media.mp4(40.0, audio=False)
    longer = media.mp4(40.25, audio=False)
    assert refusal(body(TURBO, user(video(data=forty)))) is None
    assert refusal(body(TURBO, user(video(data=longer)))) == too_long
    assert refusal(body(FLASH, user(video(data=longer)))) is None
    short = media.mp4(0.5, audio=False)  # the doc sets no shortest video
    assert refusal(body(FLASH, user(video(data=short)))) is None
    assert refusal(body(FLASH, user(video(url="data:;base64,")))) == (
        "The file format is illegal and cannot be opened."
    )
