"""Omni's conversation rules and limits on wire requests (pure, no network).

Each rule is shown repaired (one WARNING) and raising under `strict=True`;
each limit with a value just inside and just outside.
"""

import base64
import copy
import dataclasses
import itertools
import logging
from typing import Any

import pytest

from langchain_qwen_omni import _probe, rules
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


# --- wire builders ---------------------------------------------------------------


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


def body(*messages: dict, **params) -> dict:
    return {"model": "m", "messages": list(messages), "stream": True, **params}


SPEECH = {
    "modalities": ["text", "audio"],
    "audio": {"voice": "Cherry", "format": "wav"},
}


def check(payload: dict, profile=FLASH, *, strict: bool = False) -> list:
    return list(check_request(payload, profile, strict=strict)["messages"])


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
        {"role": "system", "content": "Answer in French."},
        user(image(), text("What is this?")),
        {"role": "assistant", "content": "Un chat."},
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
    system = {"role": "system", "content": [text("Be brief.")]}
    out = check(body(system, user("Hi"), **SPEECH), TURBO)
    assert out == [user("Be brief.\n\nHi")]
    out = check(body(system, user(audio()), **SPEECH), TURBO)
    assert out == [user(audio(), text("Be brief."))]
    out = check(body(system, **SPEECH), TURBO)
    assert out == [user("Be brief.")]


def test_system_prompt_strict_raises_on_turbo_with_speech() -> None:
    payload = body({"role": "system", "content": "Be brief."}, user("Hi"), **SPEECH)
    with pytest.raises(OmniConversationError, match="ignores the system message"):
        check(payload, TURBO, strict=True)


@pytest.mark.parametrize(
    ("profile", "params"),
    [(TURBO, {}), (FLASH, SPEECH), (get_profile("qwen2.5-omni-7b"), {})],
)
def test_system_prompt_kept_where_the_model_reads_it(profile, params) -> None:
    payload = body({"role": "system", "content": "Be brief."}, user("Hi"), **params)
    assert check(payload, profile, strict=True) == payload["messages"]


def test_captioner_takes_no_system_prompt_even_without_speech() -> None:
    payload = body({"role": "system", "content": "Be brief."}, user(audio()))
    assert check(payload, CAPTIONER) == [user(audio(), text("Be brief."))]
    with pytest.raises(OmniConversationError, match="takes no system message"):
        check(payload, CAPTIONER, strict=True)


# --- rule: assistant turns are text only ---------------------------------------


def test_assistant_media_flattened_to_text(caplog: pytest.LogCaptureFixture) -> None:
    said = {
        "role": "assistant",
        "content": [text("It is "), audio(), text("a cat.")],
        "name": "bot",
    }
    with caplog.at_level(logging.WARNING):
        out = check(body(user("What?"), said, user("Sure?")))
    assert out[1] == {"role": "assistant", "content": "It is a cat.", "name": "bot"}
    (warning,) = warnings_of(caplog)
    assert "assistant message(s) 1" in warning


def test_assistant_media_is_not_counted_as_the_request_audio() -> None:
    said = {"role": "assistant", "content": [audio()]}
    out = check(body(user(audio()), said, user("again")))
    assert out[1]["content"] == ""


def test_assistant_media_strict_raises() -> None:
    said = {"role": "assistant", "content": [image()]}
    with pytest.raises(OmniConversationError, match="Message 1 is an assistant"):
        check(body(user("?"), said), strict=True)


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


# --- one audio and one video file per request ----------------------------------


def test_one_audio_per_request() -> None:
    check(body(user(audio()), user("more")))
    with pytest.raises(OmniInputError) as info:
        check(body(user(audio()), user(text("and"), audio())))
    message = str(info.value)
    assert message.startswith("Message 1, block 1: a second audio file")
    assert "message 0, block 0" in message
    assert "one audio file per request" in message


def test_one_video_file_per_request_but_frames_do_not_count() -> None:
    check(body(user(video()), user(frames(4)), user(frames(4))))
    with pytest.raises(OmniInputError, match="second video file"):
        check(body(user(video(url="https://x.test/a.mp4")), user(video())))


def test_split_does_not_hide_a_second_audio() -> None:
    with pytest.raises(OmniInputError, match="second audio file"):
        check(body(user(audio(), image(), audio())))


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
        ("file:///etc/passwd", "file:// URLs are refused"),
        ("ftp://x.test/a.png", "scheme 'ftp'"),
        ("/home/me/cat.png", "no scheme"),
        ("s3://bucket/cat.png", "scheme 's3'"),
    ],
)
def test_other_schemes_are_refused(url: str, expected: str) -> None:
    with pytest.raises(OmniInputError, match=expected) as info:
        check(body(user(image(url=url))))
    assert "image_block" in str(info.value)


def test_bare_base64_audio_is_refused() -> None:
    bare = base64.b64encode(media.wav()).decode()
    with pytest.raises(OmniInputError, match="bare base64 audio"):
        check(body(user(audio(url=bare))))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("data:image/png,abcd", "does not end in ';base64'"),
        ("data:image/png;base64,abc$", "not valid base64"),
        ("data:image/png;base64,abcde", "not valid base64"),
        ("data:image/png;base64,é", "non-ASCII"),
    ],
)
def test_malformed_data_urls_are_typed_errors(url: str, expected: str) -> None:
    with pytest.raises(OmniInputError, match=expected) as info:
        check(body(user(image(url=url))))
    assert str(info.value).startswith("Message 0, block 0: ")


def test_data_url_cap_just_inside_and_just_outside() -> None:
    header = "data:audio/x-wav;base64,"  # 24 characters: the base64 fills 4-groups
    size = (DATA_URL_MAX_BYTES - len(header)) // 4 * 3
    wav = media.wav_of_size(size)
    inside = header + base64.b64encode(wav).decode()
    assert len(inside) == DATA_URL_MAX_BYTES
    check(body(user(audio(url=inside))))
    outside = "data:audio/x-wave;base64," + inside[len(header) :]
    assert len(outside) == DATA_URL_MAX_BYTES + 1
    with pytest.raises(OmniInputError) as info:
        check(body(user(audio(url=outside))))
    message = str(info.value)
    assert "10,485,761 bytes" in message
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


def test_check_request_does_not_modify_its_input() -> None:
    payload = body(
        {"role": "system", "content": "S"},
        user(image(), audio(), frames(100)),
        {"role": "assistant", "content": [text("a"), image()]},
        **SPEECH,
    )
    before = copy.deepcopy(payload)
    out = check_request(payload, TURBO)
    assert payload == before
    assert out is not payload
    assert out["modalities"] == payload["modalities"]


def test_each_data_url_is_decoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _probe.decode_data_url

    def counting(url: str, **kwargs: Any):
        calls.append(len(url))
        return real(url, **kwargs)

    monkeypatch.setattr(_probe, "decode_data_url", counting)
    frame = data_url(media.jpeg(16, 16), "image/jpeg")
    other = data_url(media.png(16, 16), "image/png")
    check(body(user(text("?"), {"type": "video", "video": [frame, other, frame]})))
    check(body(user(image(url=frame), image(url=frame), image(url=other))))
    assert len(calls) == 4


def test_every_rule_error_is_a_qwen_omni_value_error() -> None:
    for error in (OmniInputError, OmniConversationError):
        assert issubclass(error, QwenOmniError)
        assert issubclass(error, ValueError)


def test_strict_error_counts_other_broken_rules() -> None:
    payload = body({"role": "system", "content": "S"}, user(image(), audio()), **SPEECH)
    with pytest.raises(OmniConversationError, match=r"\(1 more rule\(s\) broken"):
        check(payload, TURBO, strict=True)


def test_repairs_combine_in_one_request(caplog: pytest.LogCaptureFixture) -> None:
    payload = body(
        {"role": "system", "content": "Be brief."},
        user(text("Look and listen."), frames(100), audio()),
        {"role": "assistant", "content": [text("Done."), audio()]},
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


def test_media_parts_and_kinds_helpers() -> None:
    messages = [
        user(text("a"), image(), frames(2)),
        {"role": "assistant", "content": [audio()]},
        user(video()),
    ]
    found = [(m.message, m.block, m.kind) for m in rules.iter_media_parts(messages)]
    assert found == [(0, 1, "image"), (0, 2, "video"), (2, 0, "video")]
    assert rules.media_kind("text") is None
    assert rules.wants_speech(SPEECH)
    assert not rules.wants_speech({"modalities": ["text"]})
