"""The catalog of bad inputs: each a typed error, raised before the network.

Each case is a conversation (and model settings) that Omni would refuse. The
model points at a closed port with retries off, and unit tests run with
sockets disabled, so a request that slipped through would surface as a
connection error instead of the expected `QwenOmniError` and fail the test.
`tests/integration_tests/test_bad_inputs_http.py` runs the same catalog
against a live emulator and checks that its request log stays empty.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from typing import TYPE_CHECKING, Any

import pytest
from langchain_core.messages import (
    AIMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
)

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniConversationError,
    OmniInputError,
    QwenOmniError,
    audio_block,
    image_block,
    video_block,
    video_frames_block,
)
from langchain_qwen_omni.profiles import DATA_URL_MAX_BYTES
from tests import media

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.messages import BaseMessage

CLOSED_PORT = "http://127.0.0.1:9/v1"
"""The discard port: nothing answers there."""
MAX_MESSAGE_CHARS = 800
"""Errors stay short: they never echo base64 data back."""


def data_url(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def human(*parts: Any) -> HumanMessage:
    return HumanMessage(content=list(parts))


def image_url(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def video_url(url: str) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": url}}


def frames(*urls: str) -> dict[str, Any]:
    return {"type": "video", "video": list(urls)}


def url_frames(count: int) -> dict[str, Any]:
    return frames(*(f"https://x.test/{i}.jpg" for i in range(count)))


def wav_seconds(seconds: float, rate: int = 1000) -> bytes:
    return media.wav_of_size(44 + 2 * round(seconds * rate), sample_rate=rate)


def oversized_image_url() -> str:
    """A PNG padded so its data URL is one base64 group over the cap."""
    header = "data:image/png;base64,"
    groups = (DATA_URL_MAX_BYTES - len(header)) // 4 + 1
    png = media.png(16, 16)
    data = png + bytes(groups * 3 - len(png))
    return header + base64.b64encode(data).decode()


SPEECH = {"modalities": ["text", "audio"]}
TURBO = {"model": "qwen-omni-turbo"}
CAPTIONER = {"model": "qwen3-omni-30b-a3b-captioner"}
WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "weather", "parameters": {"type": "object"}},
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input and the error it must raise."""

    id: str
    messages: Callable[[], list[BaseMessage]]
    """Built on use, so importing the catalog makes no media."""
    error: type[QwenOmniError]
    match: str
    """A regex the error message must contain: where, limit, value or fix."""
    model: dict[str, Any] = dataclasses.field(default_factory=dict)
    """`ChatQwenOmni` settings."""
    call: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword arguments of the call (as from `bind`)."""


CASES: tuple[Case, ...] = (
    # --- conversation rules under strict=True ---------------------------------
    Case(
        "mixed-media-strict",
        lambda: [human(image_url("https://x.test/a.png"), audio_block(media.wav()))],
        OmniConversationError,
        r"Message 0 holds image, audio; .* one kind of media per user message",
        {"strict": True},
    ),
    Case(
        "system-with-speech-on-turbo-strict",
        lambda: [SystemMessage("Be brief."), HumanMessage("Hi")],
        OmniConversationError,
        r"qwen-omni-turbo ignores the system message when speech is requested",
        {**TURBO, **SPEECH, "strict": True},
    ),
    Case(
        "frames-over-128-strict",
        lambda: [human(url_frames(129))],
        OmniConversationError,
        r"has 129 frames; qwen3-omni-flash takes at most 128",
        {"strict": True},
    ),
    Case(
        "frames-over-80-on-turbo-strict",
        lambda: [
            human(video_frames_block([f"https://x.test/{i}.jpg" for i in range(81)]))
        ],
        OmniConversationError,
        r"has 81 frames; qwen-omni-turbo takes at most 80",
        {**TURBO, "strict": True},
    ),
    Case(
        "system-on-captioner-strict",
        lambda: [SystemMessage("Be brief."), human(audio_block(media.wav()))],
        OmniConversationError,
        r"takes no system message",
        {**CAPTIONER, "strict": True},
    ),
    # --- counts and frames ----------------------------------------------------
    Case(
        "one-frame-on-flash",
        lambda: [human(url_frames(1))],
        OmniInputError,
        r"Message 0, block 0: the image sequence has 1 frame\(s\); .* takes 2 to 128",
    ),
    Case(
        "three-frames-on-turbo",
        lambda: [human(url_frames(3))],
        OmniInputError,
        r"has 3 frame\(s\); qwen-omni-turbo takes 4 to 80",
        TURBO,
    ),
    Case(
        "two-audio-files",
        lambda: [
            human(audio_block(media.wav())),
            AIMessage("Heard it."),
            human(audio_block(media.flac())),
        ],
        OmniConversationError,
        r"Message 0, block 0: qwen3-omni-flash takes 1 audio file\(s\) per request",
        {"strict": True},
    ),
    Case(
        "two-video-files",
        lambda: [
            human(video_url("https://x.test/a.mp4")),
            human(video_url("https://x.test/b.mp4")),
        ],
        OmniConversationError,
        r"Message 0, block 0: qwen3-omni-flash takes 1 video file\(s\) per request",
        {"strict": True},
    ),
    Case(
        "two-audio-files-in-one-message",
        lambda: [human(audio_block(media.wav()), audio_block(media.ogg()))],
        OmniInputError,
        r"Message 0, block 0: this audio file is one more than qwen3-omni-flash",
    ),
    # --- sizes ----------------------------------------------------------------
    Case(
        "data-url-over-10-mib",
        lambda: [human(image_url(oversized_image_url()))],
        OmniInputError,
        r"Message 0, block 0: the image data URL is 10,485,762 bytes; .* "
        r"10,485,760 bytes\. Pass an http\(s\) URL instead of base64 for files over "
        r"7 MB",
    ),
    Case(
        "image-bytes-over-limit",
        lambda: [human(image_block(media.png(64, 64)))],
        OmniInputError,
        r"the image is \d[\d,]* bytes; .* at most 100 bytes",
        {"limits": {"image_max_bytes": 100}},
    ),
    Case(
        "audio-bytes-over-limit",
        lambda: [human(audio_block(media.wav(0.5)))],
        OmniInputError,
        r"the audio is 16,044 bytes; .* at most 16,043 bytes",
        {"limits": {"audio_max_bytes": 16_043}},
    ),
    Case(
        "video-bytes-over-limit",
        lambda: [human(video_block(media.mp4(2.0)))],
        OmniInputError,
        r"the video is \d[\d,]* bytes; .* at most 1,000 bytes",
        {"limits": {"video_max_bytes": 1000}},
    ),
    # --- image dimensions -----------------------------------------------------
    Case(
        "image-10-px-wide",
        lambda: [human(image_block(media.png(10, 64)))],
        OmniInputError,
        r"the image is 10x64 px; width and height must be over 10 px",
    ),
    Case(
        "image-10-px-high-jpeg",
        lambda: [human(image_block(media.jpeg(64, 10)))],
        OmniInputError,
        r"the image is 64x10 px",
    ),
    Case(
        "image-aspect-ratio-over-200",
        lambda: [human(image_block(media.png(2201, 11)))],
        OmniInputError,
        r"2201x11 px, an aspect ratio of 200\.1:1; the limit is 200:1\. Crop or pad",
    ),
    Case(
        "tiny-frame-in-a-sequence",
        lambda: [
            human(
                frames(
                    data_url(media.png(16, 16), "image/png"),
                    data_url(media.png(8, 8), "image/png"),
                )
            )
        ],
        OmniInputError,
        r"Message 0, block 0, frame 1: the image is 8x8 px",
    ),
    # --- durations ------------------------------------------------------------
    Case(
        "audio-over-3-min-on-turbo",
        lambda: [human(audio_block(wav_seconds(180.002)))],
        OmniInputError,
        r"the audio lasts 180\.00 s; qwen-omni-turbo accepts at most 180 s",
        TURBO,
    ),
    Case(
        "mp3-over-overridden-limit",
        lambda: [human(audio_block(media.mp3(1.25)))],
        OmniInputError,
        r"the audio lasts 1\.25 s; .* at most 1 s\. Trim it",
        {"limits": {"audio_max_seconds": 1}},
    ),
    Case(
        "video-over-40-s-on-turbo",
        lambda: [human(video_block(media.mp4(40.25, audio=False)))],
        OmniInputError,
        r"the video lasts 40\.25 s; qwen-omni-turbo accepts at most 40 s",
        TURBO,
    ),
    Case(
        "video-under-2-s",
        lambda: [human(video_block(media.mp4(1.75, audio=False)))],
        OmniInputError,
        r"the video lasts 1\.75 s; .* needs at least 2 s",
    ),
    # --- URLs and base64 ------------------------------------------------------
    Case(
        "file-url-image",
        lambda: [human(image_url("file:///etc/passwd"))],
        OmniInputError,
        r"Message 0, block 0: .*file",
    ),
    Case(
        "ftp-url-video",
        lambda: [human(video_url("ftp://x.test/a.mp4"))],
        OmniInputError,
        r"Message 0, block 0: .*http://, https:// and data:",
    ),
    Case(
        "local-path-as-image-url",
        lambda: [human(image_url("/home/me/cat.png"))],
        OmniInputError,
        r"Message 0, block 0: .*image_block",
    ),
    Case(
        "file-url-frame",
        lambda: [human(frames("https://x.test/0.jpg", "file:///tmp/1.jpg"))],
        OmniInputError,
        r"Message 0, block 0.*file",
    ),
    Case(
        "standard-block-bad-base64",
        lambda: [human({"type": "image", "base64": "@@@@", "mime_type": "image/png"})],
        OmniInputError,
        r"Message 0, block 0: .*base64",
    ),
    Case(
        "data-url-without-base64",
        lambda: [human(image_url("data:image/png,rawbytes"))],
        OmniInputError,
        r"Message 0, block 0: .*base64",
    ),
    Case(
        "data-url-truncated-base64",
        lambda: [human(image_url("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAB"))],
        OmniInputError,
        r"Message 0, block 0: .*(base64|padding)",
    ),
    Case(
        "audio-bytes-given-as-image",
        lambda: [human(image_block(media.wav()))],
        OmniInputError,
        r"image data is audio/wav, not image: use audio_block\(\)",
    ),
    Case(
        "empty-audio",
        lambda: [human({"type": "audio", "base64": "", "mime_type": "audio/wav"})],
        OmniInputError,
        r"Message 0, block 0: .*(empty|no media)",
    ),
    # --- what a model takes ---------------------------------------------------
    Case(
        "image-on-captioner",
        lambda: [human(image_block(media.png()))],
        OmniInputError,
        r"qwen3-omni-30b-a3b-captioner does not take image input",
        CAPTIONER,
    ),
    Case(
        "video-on-captioner",
        lambda: [human(video_url("https://x.test/a.mp4"))],
        OmniInputError,
        r"does not take video input",
        CAPTIONER,
    ),
    Case(
        "two-turns-on-captioner",
        lambda: [
            human(audio_block(media.wav())),
            AIMessage("A tone."),
            HumanMessage("Again?"),
        ],
        OmniInputError,
        r"answers a single user turn",
        CAPTIONER,
    ),
    Case(
        "speech-on-captioner",
        lambda: [human(audio_block(media.wav()))],
        OmniInputError,
        r"cannot speak",
        {**CAPTIONER, **SPEECH},
    ),
    Case(
        "tools-on-turbo",
        lambda: [HumanMessage("Weather?")],
        OmniInputError,
        r"cannot call tools",
        TURBO,
        {"tools": [WEATHER_TOOL]},
    ),
    # --- parameters -----------------------------------------------------------
    Case(
        "voice-not-on-turbo",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"Voice 'Vivian' is not available on qwen-omni-turbo; choose one of 'Cherry'",
        {**TURBO, **SPEECH, "voice": "Vivian"},
    ),
    Case(
        "voice-wrong-case",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"Did you mean 'Ethan'\?",
        {"model": "qwen2.5-omni-7b", **SPEECH, "voice": "ethan"},
    ),
    Case(
        "voice-not-in-2025-09-snapshot",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"Voice 'Serena' is not available on qwen3-omni-flash-2025-09-15",
        {"model": "qwen3-omni-flash-2025-09-15", **SPEECH, "voice": "Serena"},
    ),
    Case(
        "speech-with-thinking",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"enable_thinking",
        {**SPEECH, "enable_thinking": True},
    ),
    Case(
        "audio-only-modalities",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"modalities must be \[\"text\"\] or \[\"text\", \"audio\"\]",
        {},
        {"modalities": ["audio"]},
    ),
    Case(
        "video-output-modality",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"modalities must be",
        {},
        {"modalities": ["text", "video"]},
    ),
    Case(
        "mp3-output-format",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"audio format 'mp3' is not accepted",
        SPEECH,
        {"audio": {"voice": "Cherry", "format": "mp3"}},
    ),
    Case(
        "max-tokens-over-turbo-limit",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"max_tokens=4096 is outside \[1, 2,048\]",
        {**TURBO, "max_tokens": 4096},
    ),
    Case(
        "max-tokens-zero",
        lambda: [HumanMessage("Hi")],
        OmniInputError,
        r"max_tokens=0 is outside \[1, 16,384\]",
        {},
        {"max_tokens": 0},
    ),
    # --- shapes ---------------------------------------------------------------
    Case(
        "unknown-block-type",
        lambda: [human({"type": "hologram", "data": "x"})],
        OmniInputError,
        r"Message 0, block 0",
    ),
    Case(
        "image-url-without-url",
        lambda: [human({"type": "image_url", "image_url": {}})],
        OmniInputError,
        r"Message 0, block 0",
    ),
    Case(
        "function-message",
        lambda: [HumanMessage("Hi"), FunctionMessage(name="f", content="x")],
        OmniInputError,
        r"Message 1 is a FunctionMessage",
    ),
)


def chat_for(case: Case, base_url: str = CLOSED_PORT) -> ChatQwenOmni:
    return ChatQwenOmni(
        base_url=base_url, api_key="sk-test", max_retries=0, timeout=5, **case.model
    )


def check_error(case: Case, error: BaseException) -> None:
    """The error is the case's type, names what it must, and stays short."""
    assert type(error) is case.error, repr(error)
    text = str(error)
    assert re.search(case.match, text), text
    assert len(text) < MAX_MESSAGE_CHARS, text[:200]


def test_the_catalog_has_at_least_40_distinct_cases() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_before_the_network(case: Case) -> None:
    with pytest.raises(QwenOmniError) as info:
        chat_for(case).invoke(case.messages(), **case.call)
    check_error(case, info.value)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_raises_before_the_network_async(case: Case) -> None:
    with pytest.raises(QwenOmniError) as info:
        async for _ in chat_for(case).astream(case.messages(), **case.call):
            pass
    check_error(case, info.value)
