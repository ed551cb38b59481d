"""Omni's conversation rules and limits on typed requests (pure, no network).

Requests are built the way the chat model builds them (LangChain messages,
converted and measured once, then checked against a profile) and judged by
the wire body they become. Each rule is shown repaired (one WARNING) and
raising under `strict=True`; each limit with a value just inside and just
outside.
"""

import base64
import dataclasses
import itertools
import logging
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni import _convert, _probe
from langchain_qwen_omni._convert import convert_messages
from langchain_qwen_omni._request import OmniRequest, build_params
from langchain_qwen_omni._wire import request_body
from langchain_qwen_omni.errors import (
    OmniConversationError,
    OmniInputError,
    QwenOmniError,
)
from langchain_qwen_omni.profiles import (
    DATA_URL_MAX_BYTES,
    get_profile,
    with_overrides,
)
from langchain_qwen_omni.rules import check_request, kept_frame_indices
from tests import media

FLASH = get_profile("qwen3-omni-flash")
TURBO = get_profile("qwen-omni-turbo")
CAPTIONER = get_profile("qwen3-omni-30b-a3b-captioner")
OMNI_35 = get_profile("qwen3.5-omni-flash")
OMNI_38 = get_profile("qwen3.8-omni-flash")


# --- builders: OpenAI-format parts, which the converter takes as they are -------


def data_url(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image(data: bytes | None = None, url: str | None = None) -> dict:
    url = url or data_url(data if data is not None else media.png(), "image/png")
    return {"type": "image_url", "image_url": {"url": url}}


def audio(data: bytes | None = None, url: str | None = None, fmt="wav") -> dict:
    value = url or data_url(data if data is not None else media.wav(0.5))
    return {"type": "input_audio", "input_audio": {"data": value, "format": fmt}}


def video(data: bytes | None = None, url: str | None = None) -> dict:
    value = url or data_url(data if data is not None else media.mp4(2.0))
    return {"type": "video_url", "video_url": {"url": value}}


def frames(count: int, url: str = "https://x.test/f{}.jpg") -> dict:
    return {"type": "video", "video": [url.format(i) for i in range(count)]}


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def user(*parts: dict | str) -> dict:
    if len(parts) == 1 and isinstance(parts[0], str):
        return {"role": "user", "content": parts[0]}
    return {"role": "user", "content": list(parts)}


def said(content: str | list) -> dict:
    return {"role": "assistant", "content": content}


def system(content: str | list) -> dict:
    return {"role": "system", "content": content}


def body(*messages: dict, **params) -> dict:
    return {"messages": list(messages), **params}


_CLASSES: dict[str, type[BaseMessage]] = {
    "user": HumanMessage,
    "assistant": AIMessage,
    "system": SystemMessage,
}


def as_messages(wire: list[dict]) -> list[BaseMessage]:
    return [_CLASSES[m["role"]](content=m["content"]) for m in wire]


SPEECH = {
    "modalities": ["text", "audio"],
    "audio": {"voice": "Cherry", "format": "wav"},
}


def request_of(payload: dict, messages: list[BaseMessage] | None = None) -> OmniRequest:
    settings = {k: v for k, v in payload.items() if k != "messages"}
    turns = convert_messages(messages or as_messages(payload["messages"]))
    return OmniRequest("m", turns, build_params(settings))


def checked(payload: dict, profile=FLASH, *, strict: bool = False) -> dict[str, Any]:
    """The wire body the request becomes after the rules."""
    return request_body(check_request(request_of(payload), profile, strict=strict))


def check(payload: dict, profile=FLASH, *, strict: bool = False) -> list:
    return list(checked(payload, profile, strict=strict)["messages"])


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- rule: one kind of media per user message -----------------------------------


def test_mixed_media_message_is_split_one_kind_each_text_last(
    caplog: pytest.LogCaptureFixture,
) -> None:
    img, aud, vid = image(), audio(), frames(4)
    question = text("Compare them.")
    mixed = user(question, img, aud, img, vid)
    with caplog.at_level(logging.WARNING):
        out = check(body(user("hi"), mixed, user(vid, img)))
    assert out == [
        user("hi"),
        user(img, img),
        user(aud),
        user(question, vid),
        user(vid),
        user(img),
    ]
    (warning,) = warnings_of(caplog)  # one warning for both messages
    assert "split message(s) 1, 2" in warning
    assert "strict=True" in warning


@pytest.mark.parametrize("profile", [OMNI_35, OMNI_38])
def test_mixed_media_passes_unchanged_where_the_family_takes_any_mix(
    caplog: pytest.LogCaptureFixture, profile
) -> None:
    mixed = user(text("Compare them."), image(), audio(), frames(4), video())
    payload = body(user("hi"), mixed)
    with caplog.at_level(logging.WARNING):
        assert check(payload, profile, strict=True) == payload["messages"]
    assert warnings_of(caplog) == []


def test_mixed_media_strict_raises_naming_the_message() -> None:
    with pytest.raises(OmniConversationError, match="Message 1 holds image, audio"):
        check(body(user("hi"), user(image(), audio())), strict=True)


def test_one_kind_per_message_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    payload = body(user(image(), image(), text("Two images.")), user(frames(3)))
    with caplog.at_level(logging.WARNING):
        assert check(payload, strict=True) == payload["messages"]
        assert check(payload) == payload["messages"]
    assert warnings_of(caplog) == []


# --- rule: system prompt ignored with speech (turbo) ----------------------------


def test_system_prompt_merged_into_first_user_message_on_turbo_with_speech(
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = body(
        system("Answer in French."),
        user(image(), text("What is this?")),
        said("Un chat."),
        user("And this?"),
        **SPEECH,
    )
    with caplog.at_level(logging.WARNING):
        out = check(payload, TURBO)
    assert [m["role"] for m in out] == ["user", "assistant", "user"]
    assert out[0]["content"] == [
        image(),
        text("Answer in French.\n\nWhat is this?"),
    ]
    assert out[2] == user("And this?")
    (warning,) = warnings_of(caplog)
    assert "qwen-omni-turbo" in warning
    assert "merged system message(s) 0" in warning


def test_system_prompt_merge_into_string_and_textless_content() -> None:
    prompt = system([text("Be brief.")])
    out = check(body(prompt, user("Hi"), **SPEECH), TURBO)
    assert out == [user("Be brief.\n\nHi")]
    out = check(body(prompt, user(audio()), **SPEECH), TURBO)
    assert out == [user(audio(), text("Be brief."))]
    out = check(body(prompt, **SPEECH), TURBO)
    assert out == [user("Be brief.")]


def test_system_prompt_strict_raises_on_turbo_with_speech() -> None:
    payload = body(system("Be brief."), user("Hi"), **SPEECH)
    with pytest.raises(OmniConversationError, match="ignores the system message"):
        check(payload, TURBO, strict=True)


@pytest.mark.parametrize(
    ("profile", "params"),
    [
        (TURBO, {}),
        (FLASH, SPEECH),
        (get_profile("qwen2.5-omni-7b"), {}),
        (OMNI_35, {**SPEECH, "audio": {"voice": "Tina"}}),
    ],
)
def test_system_prompt_kept_where_the_model_reads_it(profile, params) -> None:
    payload = body(system("Be brief."), user("Hi"), **params)
    assert check(payload, profile, strict=True) == payload["messages"]


def test_captioner_takes_no_system_prompt_even_without_speech() -> None:
    payload = body(system("Be brief."), user(audio()))
    assert check(payload, CAPTIONER) == [user(audio(), text("Be brief."))]
    with pytest.raises(OmniConversationError, match="takes no system message"):
        check(payload, CAPTIONER, strict=True)


# --- rule: assistant turns are text only ---------------------------------------


def test_assistant_media_flattened_to_text(caplog: pytest.LogCaptureFixture) -> None:
    answer = said([text("It is "), image(), text("a cat.")])
    with caplog.at_level(logging.WARNING):
        out = check(body(user("What?"), answer, user("Sure?")))
    assert out[1] == {"role": "assistant", "content": "It is a cat."}
    (warning,) = warnings_of(caplog)
    assert "assistant message(s) 1" in warning


def test_assistant_media_is_not_counted_as_the_request_audio() -> None:
    out = check(body(user(audio()), said([audio()]), user(audio())), strict=False)
    assert out[1]["content"] == ""
    assert out[2] == user(audio())


def test_assistant_media_strict_raises() -> None:
    with pytest.raises(OmniConversationError, match="Message 1 is an assistant"):
        check(body(user("?"), said([image()])), strict=True)


# --- rule: frame counts ---------------------------------------------------------


def test_kept_frame_indices_are_even_ordered_and_keep_the_ends() -> None:
    assert kept_frame_indices(5, 5) == [0, 1, 2, 3, 4]
    assert kept_frame_indices(9, 5) == [0, 2, 4, 6, 8]
    kept = kept_frame_indices(1000, 128)
    assert len(kept) == 128
    assert kept[0] == 0
    assert kept[-1] == 999
    assert kept == sorted(set(kept))
    gaps = {b - a for a, b in itertools.pairwise(kept)}
    assert gaps <= {7, 8}


@pytest.mark.parametrize(("profile", "limit"), [(FLASH, 128), (TURBO, 80)])
def test_frames_just_inside_the_maximum_are_kept(profile, limit) -> None:
    payload = body(user(frames(limit)))
    assert check(payload, profile, strict=True) == payload["messages"]


@pytest.mark.parametrize(("profile", "limit"), [(FLASH, 128), (TURBO, 80)])
def test_frames_just_outside_the_maximum_are_subsampled(
    caplog: pytest.LogCaptureFixture, profile, limit
) -> None:
    sequence = frames(limit + 1)
    with caplog.at_level(logging.WARNING):
        (message,) = check(body(user(text("Describe."), sequence)), profile)
    kept = message["content"][1]["video"]
    assert len(kept) == limit
    assert kept[0] == sequence["video"][0]
    assert kept == [f for f in sequence["video"] if f in kept]  # order kept
    assert message["content"][0] == text("Describe.")
    (warning,) = warnings_of(caplog)
    assert f"exceed {limit} frames" in warning


def test_frames_up_to_2048_are_sent_unchanged_on_the_new_families() -> None:
    for profile in (OMNI_35, OMNI_38):
        payload = body(user(frames(200)), user(frames(2048)))
        assert check(payload, profile, strict=True) == payload["messages"]
        (message,) = check(body(user(frames(2049))), profile)
        assert len(message["content"][0]["video"]) == 2048


def test_too_many_frames_strict_raises() -> None:
    with pytest.raises(OmniConversationError, match="has 81 frames"):
        check(body(user(frames(81))), TURBO, strict=True)


@pytest.mark.parametrize(("profile", "minimum"), [(FLASH, 2), (TURBO, 4)])
def test_frames_minimum_just_inside_and_outside(profile, minimum) -> None:
    check(body(user(frames(minimum))), profile)
    with pytest.raises(OmniInputError) as info:
        check(body(user(frames(minimum - 1))), profile)
    message = str(info.value)
    assert "Message 0, block 0" in message
    assert f"{minimum - 1} frame(s)" in message
    assert f"takes {minimum} to" in message
    assert "Add frames" in message


# --- files per request ----------------------------------------------------------


def spoken(seconds: float, words: str | None = None) -> dict:
    """A user turn holding a WAV recording (with its transcript, if given)."""
    block: dict = {
        "type": "audio",
        "base64": base64.b64encode(media.wav(seconds)).decode(),
        "mime_type": "audio/wav",
    }
    if words is not None:
        block["transcript"] = words
    return user(block)


def test_earlier_audio_beyond_one_per_request_is_sent_as_text_on_flash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = body(
        spoken(0.5, "What is the capital of France?"),
        said("Paris."),
        spoken(0.75),
        said("Yes."),
        spoken(0.25),
    )
    with caplog.at_level(logging.WARNING):
        out = check(payload)
    assert out[0]["content"] == [text("What is the capital of France?")]
    assert out[2]["content"] == [text("[earlier audio of 0.8 s, not sent again]")]
    (latest,) = out[4]["content"]
    assert latest["type"] == "input_audio"  # the question being asked is heard
    (warning,) = warnings_of(caplog)
    assert "message(s) 0, 2" in warning
    assert "strict=True" in warning


def test_earlier_files_strict_raises_naming_the_message() -> None:
    payload = body(spoken(0.5), said("Heard it."), spoken(0.5))
    with pytest.raises(
        OmniConversationError,
        match=r"Message 0, block 0: qwen3-omni-flash takes 1 audio file\(s\) per "
        r"request, and a later message holds one",
    ):
        check(payload, strict=True)


def test_earlier_video_files_too_but_image_sequences_do_not_count() -> None:
    clip = video(url="https://x.test/a.mp4")
    out = check(body(user(clip), user(frames(4)), user(frames(4))), strict=True)
    assert out[0]["content"] == [clip]
    out = check(body(user(clip), user(video(url="https://x.test/b.mp4"))))
    assert out[0]["content"] == [text("[earlier video, not sent again]")]


def test_two_files_in_the_message_being_asked_about_are_refused() -> None:
    with pytest.raises(OmniInputError, match="Message 0, block 0: this audio file is"):
        check(body(user(audio(), image(), audio())))


def test_the_new_families_send_every_audio_file_of_the_history() -> None:
    payload = body(
        *itertools.chain.from_iterable(
            (spoken(0.25), said(f"answer {i}")) for i in range(5)
        ),
        user(audio(), audio(), text("And these two?")),
        **{**SPEECH, "audio": {"voice": "Tina"}},
    )
    out = check(payload, OMNI_35, strict=True)
    sent = [p for m in out if m["role"] == "user" for p in m["content"]]
    assert [p["type"] for p in sent].count("input_audio") == 7


def test_inline_files_beyond_the_base64_count_go_as_text() -> None:
    few = with_overrides(OMNI_35, {"audio_files_max_base64": 2})
    remote = audio(url="https://x.test/a.wav")
    payload = body(user(remote), user(audio()), user(audio()), user(audio()))
    out = check(payload, few)
    assert out[0]["content"] == [remote]  # by URL: under the URL count
    assert out[1]["content"] == [text("[earlier audio of 0.5 s, not sent again]")]
    assert out[2]["content"] == payload["messages"][2]["content"]


def test_many_data_urls_warn_once_but_are_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    few = with_overrides(OMNI_35, {"data_urls_max": 3})
    payload = body(user(image(), image(), image(), image()))
    with caplog.at_level(logging.WARNING):
        assert check(payload, few) == payload["messages"]
    (warning,) = warnings_of(caplog)
    assert "4 base64 items" in warning
    assert "at most 3 data URLs" in warning


# --- media in tool results -------------------------------------------------------


def test_tool_result_media_moves_into_a_user_message_after_the_results(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = [
        {"name": "shot", "args": {}, "id": "c1", "type": "tool_call"},
        {"name": "chart", "args": {}, "id": "c2", "type": "tool_call"},
    ]
    png = base64.b64encode(media.png()).decode()
    shot = {"type": "image", "base64": png, "mime_type": "image/png"}
    messages = [
        HumanMessage("Show me."),
        AIMessage(content="", tool_calls=calls),
        ToolMessage(content=[text("the screen"), shot], tool_call_id="c1"),
        ToolMessage(content=[text("the chart"), shot], tool_call_id="c2"),
        AIMessage("Here they are."),
    ]
    request = request_of({}, messages)
    with caplog.at_level(logging.WARNING):
        out = request_body(check_request(request, FLASH))["messages"]
    assert [m["role"] for m in out] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "user",
        "assistant",
    ]
    assert out[2] == {"role": "tool", "tool_call_id": "c1", "content": "the screen"}
    assert [p["type"] for p in out[4]["content"]] == ["image_url", "image_url"]
    (warning,) = warnings_of(caplog)
    assert "tool message(s) 2, 3" in warning
    with pytest.raises(OmniConversationError, match="Message 2 is a tool result"):
        check_request(request, FLASH, strict=True)


# --- URLs and data URLs ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://x.test/a.png",
        "http://x.test/a.png",
        "HTTPS://X.TEST/A.PNG",
    ],
)
def test_http_urls_pass_unmeasured(url: str) -> None:
    check(body(user(image(url=url), text("?"))))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", r"refused \(a local path\)"),
        ("ftp://x.test/a.png", "scheme 'ftp'"),
        ("/home/me/cat.png", r"refused \(a local path\)"),
        ("s3://bucket/cat.png", "scheme 's3'"),
    ],
)
def test_other_schemes_are_refused(url: str, expected: str) -> None:
    with pytest.raises(OmniInputError, match=expected) as info:
        check(body(user(image(url=url))))
    assert "image_block" in str(info.value)


def test_bare_base64_audio_goes_as_a_data_url() -> None:
    wav = media.wav()
    bare = base64.b64encode(wav).decode()
    (message,) = check(body(user(audio(url=bare))))
    assert message["content"][0]["input_audio"] == {
        "data": f"data:;base64,{bare}",
        "format": "wav",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("data:image/png,abcd", "does not end in ';base64'"),
        ("data:image/png;base64,abc$", "not valid base64"),
        ("data:image/png;base64,abcde", "not a multiple of 4"),
        ("data:image/png;base64,é", "non-ASCII"),
    ],
)
def test_malformed_data_urls_are_typed_errors(url: str, expected: str) -> None:
    with pytest.raises(OmniInputError, match=expected) as info:
        check(body(user(image(url=url))))
    assert str(info.value).startswith("Message 0, block 0: ")


def test_data_url_cap_just_inside_and_just_outside() -> None:
    header = len("data:;base64,")  # audio travels without a type in its data URL
    inside_chars = (DATA_URL_MAX_BYTES - header) // 4 * 4
    wav = media.wav_of_size(inside_chars // 4 * 3)
    (message,) = check(body(user(audio(wav))))
    assert len(message["content"][0]["input_audio"]["data"]) == header + inside_chars
    assert header + inside_chars + 4 > DATA_URL_MAX_BYTES  # one base64 group more
    with pytest.raises(OmniInputError) as info:
        check(body(user(audio(media.wav_of_size(len(wav) + 2)))))
    message = str(info.value)
    assert f"{header + inside_chars + 4:,} bytes" in message
    assert "10,485,760 bytes" in message
    assert "URL instead of base64 for files over 7 MB" in message


@pytest.mark.parametrize(
    ("kind", "field", "make"),
    [
        ("image", "image_max_bytes", image),
        ("audio", "audio_max_bytes", audio),
        ("video", "video_max_bytes", video),
    ],
)
def test_decoded_size_just_inside_and_just_outside(kind, field, make) -> None:
    data = {"image": media.png(), "audio": media.wav(), "video": media.mp4(2.0)}[kind]
    fits = with_overrides(FLASH, {field: len(data)})
    check(body(user(make(data))), fits)
    small = with_overrides(FLASH, {field: len(data) - 1})
    with pytest.raises(OmniInputError) as info:
        check(body(user(make(data))), small)
    message = str(info.value)
    assert f"the {kind} is {len(data):,} bytes" in message
    assert f"at most {len(data) - 1:,} bytes" in message


def test_empty_audio_is_refused() -> None:
    with pytest.raises(OmniInputError, match="the audio is empty"):
        check(body(user(audio(url="data:;base64,"))))


# --- image dimensions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "fits"),
    [
        (11, 11, True),
        (10, 11, False),
        (11, 10, False),
        (2200, 11, True),  # exactly 200:1
        (2201, 11, False),
        (11, 2201, False),
    ],
)
def test_image_dimensions_and_aspect_ratio(width, height, fits) -> None:
    payload = body(user(image(media.png(width, height))))
    if fits:
        check(payload)
        return
    with pytest.raises(OmniInputError) as info:
        check(payload)
    assert f"{width}x{height} px" in str(info.value)


def test_image_limits_apply_to_each_frame_with_its_index() -> None:
    good = data_url(media.jpeg(16, 16), "image/jpeg")
    bad = data_url(media.png(8, 16), "image/png")
    sequence = {"type": "video", "video": [good, good, bad, good]}
    with pytest.raises(OmniInputError, match=r"Message 0, block 1, frame 2: .*8x16"):
        check(body(user(text("?"), sequence)))


def test_unknown_image_format_is_not_guessed() -> None:
    check(body(user(image(url=data_url(b"not an image at all", "image/png")))))


# --- durations ------------------------------------------------------------------


def _wav_seconds(seconds: float, rate: int = 1000) -> bytes:
    return media.wav_of_size(44 + 2 * round(seconds * rate), sample_rate=rate)


@pytest.mark.parametrize(("profile", "limit"), [(TURBO, 180), (FLASH, 1200)])
def test_audio_duration_just_inside_and_just_outside(profile, limit) -> None:
    check(body(user(audio(_wav_seconds(limit)))), profile)
    with pytest.raises(OmniInputError) as info:
        check(body(user(audio(_wav_seconds(limit + 0.002)))), profile)
    message = str(info.value)
    assert f"lasts {limit + 0.002:.2f} s" in message
    assert f"at most {limit:g} s" in message
    assert "Trim it" in message


@pytest.mark.parametrize("maker", [media.mp3, media.flac, media.ogg])
def test_audio_duration_of_compressed_formats(maker) -> None:
    short = dataclasses.replace(FLASH, audio_max_seconds=1.0)
    check(body(user(audio(maker(seconds=0.9)))), short)
    with pytest.raises(OmniInputError, match=r"lasts 1\.25"):
        check(body(user(audio(maker(seconds=1.25)))), short)


def test_video_duration_just_inside_and_just_outside() -> None:
    check(body(user(video(media.mp4(40.0)))), TURBO)
    with pytest.raises(OmniInputError) as info:
        check(body(user(video(media.mp4(40.25)))), TURBO)
    message = str(info.value)
    assert "lasts 40.25 s" in message
    assert "at most 40 s" in message
    assert "video_frames_block" in message


def test_video_minimum_duration() -> None:
    check(body(user(video(media.mp4(2.0, audio=False)))))
    with pytest.raises(OmniInputError, match=r"lasts 1.75 s; .* at least 2 s"):
        check(body(user(video(media.mp4(1.75, audio=False)))))


def test_video_duration_skipped_without_pyav(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_probe, "_load_av", lambda: None)
    check(body(user(video(media.mp4(45.0, audio=False)))), TURBO)
    assert _probe.video_duration(media.mp4(45.0, audio=False)) is None


def test_missing_pyav_logs_one_debug_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import builtins  # noqa: PLC0415

    real_import = builtins.__import__

    def no_av(name, *args, **kwargs):
        if name == "av":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    _probe._load_av.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_av)
    try:
        with caplog.at_level(logging.DEBUG, logger="langchain_qwen_omni._probe"):
            assert _probe.video_duration(b"whatever") is None
            assert _probe.audio_duration(media.mp3()) is None
    finally:
        _probe._load_av.cache_clear()
    debug = [r for r in caplog.records if "PyAV is not installed" in r.getMessage()]
    assert len(debug) == 1


# --- capabilities and single turn -----------------------------------------------


@pytest.mark.parametrize("part", [image(), video(), frames(4)])
def test_captioner_takes_audio_only(part: dict) -> None:
    with pytest.raises(OmniInputError, match=r"does not take \w+ input"):
        check(body(user(part)), CAPTIONER)
    check(body(user(audio())), CAPTIONER)


def test_captioner_answers_a_single_turn() -> None:
    with pytest.raises(OmniInputError, match="single user turn"):
        check(
            body(user(audio()), {"role": "assistant", "content": "x"}, user("y")),
            CAPTIONER,
        )


# --- parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "modalities", [["audio"], ["text", "video"], "text", ["text", "audio", "image"]]
)
def test_invalid_modalities(modalities) -> None:
    with pytest.raises(OmniInputError, match="modalities must be"):
        check(body(user("hi"), modalities=modalities))


def test_speech_refused_for_a_model_that_cannot_speak() -> None:
    with pytest.raises(OmniInputError, match="cannot speak"):
        check(body(user(audio()), **SPEECH), CAPTIONER)


def test_speech_refused_with_thinking() -> None:
    with pytest.raises(OmniInputError, match="enable_thinking"):
        check(body(user("hi"), enable_thinking=True, **SPEECH))
    check(body(user("hi"), enable_thinking=False, **SPEECH))


def test_voice_must_be_one_of_the_models_voices() -> None:
    check(body(user("hi"), **SPEECH), TURBO)
    speech: dict = {"modalities": ["text", "audio"], "audio": {"voice": "Vivian"}}
    with pytest.raises(OmniInputError) as info:
        check(body(user("hi"), **speech), TURBO)
    assert "'Cherry', 'Serena', 'Ethan', 'Chelsie'" in str(info.value)
    speech["audio"]["voice"] = "cherry"
    with pytest.raises(OmniInputError, match="Did you mean 'Cherry'"):
        check(body(user("hi"), **speech), TURBO)


def test_unlisted_voice_of_an_incomplete_list_is_sent_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    speech = {"modalities": ["text", "audio"], "audio": {"voice": "Unlisted-A"}}
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            check(body(user("hi"), **speech), FLASH)
    (warning,) = warnings_of(caplog)
    assert "'Unlisted-A'" in warning
    flash_09 = get_profile("qwen3-omni-flash-2025-09-15")
    with pytest.raises(OmniInputError, match="not available"):
        check(body(user("hi"), **speech), flash_09)


def test_audio_format_must_be_wav() -> None:
    speech: dict = {"modalities": ["text", "audio"], "audio": {"voice": "Cherry"}}
    speech["audio"]["format"] = "mp3"
    with pytest.raises(OmniInputError, match="only 'wav'"):
        check(body(user("hi"), **speech))


@pytest.mark.parametrize(("profile", "limit"), [(FLASH, 16_384), (TURBO, 2_048)])
def test_max_tokens_range(profile, limit) -> None:
    check(body(user("hi"), max_tokens=limit), profile)
    check(body(user("hi"), max_tokens=1), profile)
    for value in (limit + 1, 0):
        with pytest.raises(OmniInputError, match=f"outside \\[1, {limit:,}\\]"):
            check(body(user("hi"), max_tokens=value), profile)


# --- properties of the whole ----------------------------------------------------


def test_each_base64_item_is_decoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _convert.check_base64  # type: ignore[attr-defined]

    def counting(data: str, **kwargs: Any):
        calls.append(len(data))
        return real(data, **kwargs)

    monkeypatch.setattr(_convert, "check_base64", counting)
    frame = data_url(media.jpeg(16, 16), "image/jpeg")
    other = data_url(media.png(16, 16), "image/png")
    sequence = {"type": "video", "video": [frame, other, frame]}
    payload = body(user(text("?"), sequence), user(image(url=frame), image(url=other)))
    messages = as_messages(payload["messages"])
    check_request(request_of(payload, messages), FLASH)
    assert len(calls) == 2  # each string object checked once, wherever it recurs


def test_every_rule_error_is_a_qwen_omni_value_error() -> None:
    for error in (OmniInputError, OmniConversationError):
        assert issubclass(error, QwenOmniError)
        assert issubclass(error, ValueError)


def test_strict_error_counts_other_broken_rules() -> None:
    payload = body(system("S"), user(image(), audio()), **SPEECH)
    with pytest.raises(OmniConversationError, match=r"\(1 more rule\(s\) broken"):
        check(payload, TURBO, strict=True)


def test_repairs_combine_in_one_request(caplog: pytest.LogCaptureFixture) -> None:
    payload = body(
        system("Be brief."),
        user(text("Look and listen."), frames(100), audio()),
        said([text("Done."), image()]),
        user("Again?"),
        **SPEECH,
    )
    with caplog.at_level(logging.WARNING):
        out = check(payload, TURBO)
    assert [m["role"] for m in out] == ["user", "user", "assistant", "user"]
    # split first, then the system prompt goes into the (new) first user message
    (sequence, prompt) = out[0]["content"]
    assert len(sequence["video"]) == 80
    assert prompt == text("Be brief.")
    assert out[1]["content"] == [text("Look and listen."), audio()]
    assert out[2]["content"] == "Done."
    assert len(warnings_of(caplog)) == 4


# --- parameters of the new families ---------------------------------------------


def test_speech_is_refused_on_qwen3_8_before_any_request() -> None:
    with pytest.raises(OmniInputError, match=r"qwen3\.8-omni-flash cannot speak"):
        check(body(user("hi"), modalities=["text", "audio"]), OMNI_38)
    check(body(user("hi")), OMNI_38)


def test_thinking_is_refused_where_the_family_has_none() -> None:
    for profile in (OMNI_35, TURBO, CAPTIONER):
        with pytest.raises(OmniInputError, match="does not think"):
            check(body(user("hi"), enable_thinking=True), profile)
    check(body(user("hi"), enable_thinking=True), FLASH)
    check(body(user("hi"), enable_thinking=False), OMNI_38)


@pytest.mark.parametrize(
    ("control", "value"),
    [("reasoning_effort", "low"), ("preserve_thinking", False)],
)
def test_thinking_controls_of_qwen3_8_only(control: str, value: object) -> None:
    check(body(user("hi"), **{control: value}), OMNI_38)
    with pytest.raises(OmniInputError, match=f"{control} is not available on"):
        check(body(user("hi"), **{control: value}), FLASH)


def test_thinking_budget_where_thinking_is_optional_or_default() -> None:
    check(body(user("hi"), thinking_budget=512), FLASH)
    check(body(user("hi"), thinking_budget=512), OMNI_38)
    with pytest.raises(OmniInputError, match="thinking_budget is not available"):
        check(body(user("hi"), thinking_budget=512), OMNI_35)
    with pytest.raises(OmniInputError, match="positive number of tokens"):
        check(body(user("hi"), thinking_budget=0), FLASH)
    with pytest.raises(OmniInputError, match="cannot be combined"):
        check(body(user("hi"), thinking_budget=512, reasoning_effort="low"), OMNI_38)


def test_an_unknown_reasoning_effort_warns_and_is_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        sent = checked(body(user("hi"), reasoning_effort="ultra"), OMNI_38)
    assert sent["reasoning_effort"] == "ultra"
    (warning,) = warnings_of(caplog)
    assert "'ultra'" in warning


def test_web_search_and_high_resolution_images_where_available() -> None:
    for profile in (OMNI_35, OMNI_38):
        sent = checked(
            body(
                user("hi"),
                enable_search=True,
                search_options={"search_strategy": "agent"},
                vl_high_resolution_images=True,
            ),
            profile,
        )
        assert sent["enable_search"] is True
        assert sent["search_options"] == {"search_strategy": "agent"}
        assert sent["vl_high_resolution_images"] is True
    with pytest.raises(OmniInputError, match="has no web search"):
        check(body(user("hi"), enable_search=True), FLASH)
    with pytest.raises(OmniInputError, match="has no vl_high_resolution_images"):
        check(body(user("hi"), vl_high_resolution_images=True), TURBO)
    with pytest.raises(OmniInputError, match="search_options must be a dict"):
        check(body(user("hi"), search_options="agent"), OMNI_38)


def test_voices_of_qwen3_5_default_tina_and_others_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    speech = {"modalities": ["text", "audio"], "audio": {"voice": "Tina"}}
    check(body(user("hi"), **speech), OMNI_35)
    with caplog.at_level(logging.WARNING):
        check(body(user("hi"), modalities=["text", "audio"], voice="Cherry"), OMNI_35)
    (warning,) = warnings_of(caplog)
    assert "'Cherry' is not among the voices documented for qwen3.5-omni" in warning


def test_every_documented_flash_voice_passes_and_names_may_have_spaces() -> None:
    flash_12 = get_profile("qwen3-omni-flash-2025-12-01")
    for voice in ("Eldric Sage", "Ono Anna", "Radio Gol", "Kiki"):
        sent = checked(
            body(user("hi"), modalities=["text", "audio"], voice=voice), flash_12
        )
        assert sent["audio"] == {"voice": voice, "format": "wav"}
    with pytest.raises(OmniInputError, match="not available on qwen3-omni-flash-2025"):
        check(body(user("hi"), modalities=["text", "audio"], voice="Tina"), flash_12)


@pytest.mark.parametrize(("profile", "limit"), [(OMNI_38, 131_072)])
def test_max_tokens_of_the_new_families(profile, limit) -> None:
    check(body(user("hi"), max_tokens=limit), profile)
    with pytest.raises(OmniInputError, match=f"outside \\[1, {limit:,}\\]"):
        check(body(user("hi"), max_tokens=limit + 1), profile)


def test_uncertain_token_limits_warn_instead_of_refusing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        check(body(user("hi"), max_tokens=65_536), OMNI_35)
        assert warnings_of(caplog) == []
        sent = checked(body(user("hi"), max_tokens=100_000), OMNI_35)
        check(body(user("hi"), max_tokens=5), get_profile("qwen2.5-omni-7b"))
    assert sent["max_tokens"] == 100_000
    first, second = warnings_of(caplog)
    assert "does not settle this for qwen3.5-omni-flash" in first
    assert "[10, 2,048]" in second


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("temperature", 2.0, r"temperature=2.0 is outside \[0, 2\)"),
        ("temperature", -0.1, r"outside \[0, 2\)"),
        ("temperature", float("nan"), "outside"),
        ("top_p", 0.0, r"top_p=0.0 is outside \(0, 1\]"),
        ("top_p", 1.5, r"outside \(0, 1\]"),
        ("presence_penalty", 2.5, r"outside \[-2, 2\]"),
        ("seed", -1, r"seed=-1 is outside \[0, 2\^63-1\]"),
        ("seed", 2**63, "seed="),
        ("n", 2, "n=2: Omni answers with one choice"),
    ],
)
def test_sampling_ranges_the_api_checks(param: str, value: object, expected) -> None:
    with pytest.raises(OmniInputError, match=expected):
        check(body(user("hi"), **{param: value}))


def test_sampling_values_at_the_edges_pass() -> None:
    sent = checked(
        body(
            user("hi"),
            temperature=0,
            top_p=1.0,
            presence_penalty=-2,
            seed=2**63 - 1,
            n=1,
        )
    )
    assert (sent["temperature"], sent["top_p"], sent["seed"], sent["n"]) == (
        0,
        1.0,
        2**63 - 1,
        1,
    )


def test_audio_parameter_takes_voice_and_format_only() -> None:
    with pytest.raises(OmniInputError, match="audio takes 'voice' and 'format'"):
        check(body(user("hi"), modalities=["text", "audio"], audio={"speed": 2}))


# --- video sampling options -----------------------------------------------------


def test_fps_and_max_pixels_go_next_to_the_video_part() -> None:
    clip = {
        "type": "video",
        "url": "https://x.test/a.mp4",
        "fps": 1.0,
        "extras": {"max_pixels": 200_704},
    }
    (message,) = check(body(user(clip)))
    assert message["content"] == [
        {
            "type": "video_url",
            "video_url": {"url": "https://x.test/a.mp4"},
            "fps": 1.0,
            "max_pixels": 200_704,
        }
    ]
    openai_part = {**video(url="https://x.test/b.mp4"), "fps": 0.5}
    (message,) = check(body(user(openai_part)))
    assert message["content"][0]["fps"] == 0.5
    with pytest.raises(OmniInputError, match="fps must be a positive number"):
        check(body(user({**clip, "fps": 0})))
