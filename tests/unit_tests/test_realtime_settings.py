"""Realtime settings and inputs checked before any connection (no network)."""

from __future__ import annotations

import copy
import io
import logging
import pickle
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from langchain_qwen_omni import OmniAudio, audio_block
from langchain_qwen_omni._probe import image_size
from langchain_qwen_omni.errors import OmniInputError, QwenOmniError
from langchain_qwen_omni.realtime import (
    OmniRealtimeConnectionError,
    OmniRealtimeError,
    QwenOmniRealtime,
    get_realtime_profile,
)
from langchain_qwen_omni.realtime.audio_input import (
    PcmResampler,
    read_audio,
    split_pieces,
)
from langchain_qwen_omni.realtime.endpoint import realtime_url
from langchain_qwen_omni.realtime.history import history_instructions
from langchain_qwen_omni.realtime.images import IMAGE_MAX_BASE64_BYTES, prepare_image
from langchain_qwen_omni.realtime.protocol import resolve_turn_detection
from tests import media

KEY = "sk-unit-secret-777"


@tool
def ping() -> str:
    """Answer pong."""
    return "pong"


def realtime(**fields) -> QwenOmniRealtime:
    fields.setdefault("api_key", KEY)
    return QwenOmniRealtime(**fields)


# --- where it connects ------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "url"),
    [
        (
            "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
            "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime?model=m",
        ),
        (
            "https://ws-1.cn-beijing.maas.aliyuncs.com",
            "wss://ws-1.cn-beijing.maas.aliyuncs.com/api-ws/v1/realtime?model=m",
        ),
        (
            "http://127.0.0.1:8000/compatible-mode/v1",
            "ws://127.0.0.1:8000/api-ws/v1/realtime?model=m",
        ),
        (
            "wss://proxy.example/api-ws/v1/realtime?model=old&x=1",
            "wss://proxy.example/api-ws/v1/realtime?x=1&model=m",
        ),
        ("ws://localhost:9000/realtime", "ws://localhost:9000/realtime?model=m"),
        ("ws://localhost:9000", "ws://localhost:9000/api-ws/v1/realtime?model=m"),
        ("https://example.com/other", "wss://example.com/api-ws/v1/realtime?model=m"),
    ],
)
def test_the_websocket_url_comes_from_the_endpoint(base, url):
    assert realtime_url(base, "m") == url


def test_endpoint_rules_match_the_chat_model(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    monkeypatch.delenv("DASHSCOPE_API_BASE", raising=False)
    assert realtime().url.startswith("wss://dashscope-intl.aliyuncs.com/")
    assert realtime(region="cn").url.startswith("wss://dashscope.aliyuncs.com/")
    monkeypatch.setenv(
        "DASHSCOPE_API_BASE", "https://ws-9.ap-southeast-1.maas.aliyuncs.com"
    )
    assert realtime().url.startswith("wss://ws-9.ap-southeast-1.maas.aliyuncs.com/")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://localhost:9/compatible-mode/v1")
    assert (
        realtime().url
        == "ws://localhost:9/api-ws/v1/realtime?model=qwen3.5-omni-plus-realtime"
    )
    assert realtime(region="hk").url.startswith(
        "wss://cn-hongkong.dashscope.aliyuncs.com/"
    )


def test_the_key_comes_from_the_environment_and_stays_hidden(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    live = QwenOmniRealtime()
    assert live.api_key is not None
    assert live.api_key.get_secret_value() == KEY
    assert KEY not in repr(live)
    assert KEY not in str(live)
    assert KEY not in live.model_dump_json()
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    with pytest.raises(ValueError, match="No DashScope API key"):
        QwenOmniRealtime()


def test_qwen38_needs_a_workspace_domain():
    with pytest.raises(OmniInputError, match="workspace domains"):
        realtime(model="qwen3.8-omni-flash-realtime", region="intl")
    workspace = "https://ws-1.ap-southeast-1.maas.aliyuncs.com"
    assert realtime(model="qwen3.8-omni-flash-realtime", base_url=workspace).url


# --- what each family takes --------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("qwen3-omni-flash-realtime", "cannot call tools"),
        ("qwen-omni-turbo-realtime", "cannot call tools"),
    ],
)
def test_tools_are_refused_where_the_model_has_none(model, message):
    with pytest.raises(OmniInputError, match=message):
        realtime(model=model, tools=[ping])


def test_tools_and_search_are_exclusive():
    with pytest.raises(OmniInputError, match="cannot be combined"):
        realtime(tools=[ping], enable_search=True)
    assert realtime(enable_search=True).session_config()["enable_search"] is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"modalities": ["audio"]}, "modalities"),
        ({"modalities": ["text", "text"]}, "modalities"),
        ({"model": "qwen-omni-turbo-realtime", "voice": "Tina"}, "Voice 'Tina'"),
        (
            {"model": "qwen3-omni-flash-realtime", "turn_detection": "semantic_vad"},
            "semantic_vad",
        ),
        ({"turn_detection": {"threshold": 1.5}}, r"threshold.*\[-1.0, 1.0\]"),
        ({"turn_detection": {"silence_duration_ms": 100}}, "silence_duration_ms"),
        (
            {"model": "qwen3-omni-flash-realtime", "enable_search": True},
            "no web search",
        ),
    ],
)
def test_bad_settings_fail_before_connecting(fields, message):
    with pytest.raises(OmniInputError, match=message):
        realtime(**fields)


def test_unknown_voices_warn_where_the_list_is_open(caplog):
    caplog.set_level(logging.WARNING)
    live = realtime(voice="Someone New")
    assert live.session_config()["voice"] == "Someone New"
    assert "Someone New" in caplog.text


def test_profiles_of_the_families():
    assert (
        get_realtime_profile("qwen3.5-omni-flash-realtime-2026-03-15").default_voice
        == "Tina"
    )
    flash = get_realtime_profile("qwen3-omni-flash-realtime-2025-09-15")
    assert (flash.default_voice, flash.tools, len(flash.voices)) == (
        "Cherry",
        False,
        17,
    )
    turbo = get_realtime_profile("qwen-omni-turbo-realtime-latest")
    assert (turbo.default_voice, turbo.default_output_format) == ("Chelsie", "pcm16")
    assert turbo.output_sample_rate() == 24_000
    assert get_realtime_profile("qwen3.8-omni-flash-realtime").workspace_domain


def test_unknown_models_resolve_by_family_with_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    get_realtime_profile.cache_clear()  # the warning comes once per name
    guessed = get_realtime_profile("qwen3.5-omni-mini-realtime")
    assert guessed.tools
    assert "Unknown realtime model" in caplog.text
    assert "not a realtime model name" in get_realtime_profile_warning(
        "qwen3-omni-flash", caplog
    )


def get_realtime_profile_warning(model: str, caplog) -> str:
    caplog.clear()
    get_realtime_profile(model)
    return str(caplog.text)


def test_session_config_per_family():
    turbo = realtime(
        model="qwen-omni-turbo-realtime", turn_detection=None
    ).session_config()
    assert turbo == {
        "modalities": ["text", "audio"],
        "voice": "Chelsie",
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "turn_detection": None,
    }
    semantic = realtime(
        turn_detection="semantic_vad", tools=[ping], session_kwargs={"temperature": 0.2}
    )
    config = semantic.session_config()
    assert config["turn_detection"] == {
        "type": "semantic_vad",
        "create_response": True,
        "interrupt_response": True,
    }
    assert config["tools"][0]["function"]["name"] == "ping"
    assert config["temperature"] == 0.2


def test_turn_detection_overrides_keep_the_other_defaults():
    assert resolve_turn_detection({"silence_duration_ms": 500}, ("server_vad",)) == {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
    }


def test_tool_names_must_be_unique():
    with pytest.raises(OmniInputError, match="unique"):
        realtime(tools=[ping, ping])


# --- history ---------------------------------------------------------------------


def test_history_goes_into_the_instructions():
    spoken = AIMessage(
        content="",
        additional_kwargs={"audio": {"transcript": "It is sunny.", "data": ""}},
    )
    calls = AIMessage(
        content="", tool_calls=[{"name": "w", "args": {"c": "Rome"}, "id": "1"}]
    )
    history = [
        SystemMessage("Be kind."),
        HumanMessage("Weather?"),
        calls,
        ToolMessage(content="sunny", tool_call_id="1", name="w"),
        spoken,
        AIMessage(content="Half a sent", response_metadata={"interrupted": True}),
    ]
    text = history_instructions("Be brief.", history)
    assert text == (
        "Be brief.\n\nBe kind.\n\n"
        "The conversation so far (continue it; do not repeat it):\n"
        "User: Weather?\n"
        '[called w({"c": "Rome"})]\n'
        "Tool w returned: sunny\n"
        "Assistant: It is sunny.\n"
        "Assistant: Half a sent [interrupted by the user]"
    )


def test_history_keeps_the_most_recent_lines_within_the_limit():
    history = [HumanMessage(f"turn {i}") for i in range(100)]
    text = history_instructions(None, history, limit=40)
    assert text is not None
    assert text.endswith("User: turn 99")
    assert "turn 10\n" not in text
    assert history_instructions(None, []) is None


# --- audio in --------------------------------------------------------------------


def test_resampling_in_pieces_equals_resampling_whole():
    samples = media.tone(1.0, 48_000, 700.0)
    whole = PcmResampler().push(samples, 48_000)
    stream = PcmResampler()
    pieces = b"".join(
        stream.push(samples[i : i + 777], 48_000) for i in range(0, len(samples), 777)
    )
    a, b = np.frombuffer(whole, "<i2"), np.frombuffer(pieces, "<i2")
    assert len(a) == len(b) == 16_000
    assert np.abs(a.astype(int) - b).max() <= 1
    spectrum = np.abs(np.fft.rfft(b))
    assert np.argmax(spectrum) * 16_000 / len(b) == pytest.approx(700, abs=2)


def test_16khz_passes_through_unchanged():
    samples = media.tone(0.1, 16_000)
    pcm = PcmResampler().push(samples, 16_000)
    assert np.array_equal(
        np.frombuffer(pcm, "<i2"), np.round(samples * 32767).astype("<i2")
    )


@pytest.mark.parametrize(
    "source",
    [
        media.wav(0.5, 22_050),
        media.flac(0.5, 22_050),
        OmniAudio(
            pcm=(media.tone(0.5, 22_050) * 32767).astype("<i2").tobytes(),
            sample_rate=22_050,
        ),
        audio_block(media.wav(0.5, 22_050)),
    ],
    ids=["wav bytes", "flac bytes", "OmniAudio", "audio block"],
)
def test_sources_read_as_mono_samples_and_rate(source):
    samples, rate = read_audio(source)
    assert rate == 22_050
    assert len(samples) == pytest.approx(11_025, abs=2)
    assert samples.dtype == np.float32
    assert 0.4 < np.abs(samples).max() <= 1.0


def test_raw_pcm_that_starts_like_an_mp3_frame_stays_raw_pcm():
    pcm = np.array([-1025, 0, 1000, -3073], dtype="<i2").tobytes()  # ff fb ...
    samples, rate = read_audio(pcm, 16_000)
    assert rate == 16_000
    assert np.round(samples * 32768).astype(int).tolist() == [-1025, 0, 1000, -3073]


def test_files_and_arrays_read_too(tmp_path):
    path = media.write(tmp_path / "q.wav", media.wav(0.25))
    samples, rate = read_audio(str(path))
    assert (len(samples), rate) == (4_000, 16_000)
    stereo = np.zeros((100, 2), dtype=np.int16)
    stereo[:, 0] = 16384
    mono, _ = read_audio(stereo, 8_000)
    assert mono[0] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        (b"\x00\x01" * 10, {}, "sample_rate"),
        (np.zeros(10), {}, "sample_rate"),
        (np.zeros((2, 2, 2)), {"sample_rate": 16_000}, "shape"),
        ("/no/such/file.wav", {}, "no such file"),
        (b"RIFF not really a wav", {}, "Cannot decode"),
        (12, {}, "Cannot send int"),
        ({"type": "image", "base64": "AAAA"}, {}, "audio block"),
        ({"type": "audio", "url": "https://x/a.wav"}, {}, "not a URL"),
    ],
)
def test_unreadable_audio_fails_clearly(source, kwargs, message):
    with pytest.raises(OmniInputError, match=message):
        read_audio(source, **kwargs)


def test_pieces_are_100_ms():
    assert [len(p) for p in split_pieces(bytes(8000))] == [3200, 3200, 1600]


# --- images ----------------------------------------------------------------------


def test_jpeg_frames_pass_as_they_are():
    jpeg = media.jpeg(640, 480)
    assert prepare_image(jpeg) == jpeg


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (media.png(8, 8), "not a JPEG"),
        (media.jpeg(2000, 1200), "larger than 1080p"),
        ("/no/such.jpg", "no such file"),
        (np.zeros((4, 4), dtype=np.float32), "uint8"),
    ],
)
def test_frames_outside_the_limits_fail_clearly(source, message):
    with pytest.raises(OmniInputError, match=message):
        prepare_image(source)


def test_a_large_jpeg_is_refused_by_size():
    noise = np.random.default_rng(0).integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    from PIL import Image  # noqa: PLC0415

    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="JPEG", quality=95)
    with pytest.raises(OmniInputError, match="over the limit"):
        prepare_image(buffer.getvalue())
    fitted = prepare_image(noise)  # pixels are fitted instead: smaller
    assert len(fitted) * 4 / 3 <= IMAGE_MAX_BASE64_BYTES
    width, height = image_size(fitted) or (0, 0)
    assert width == height
    assert 100 < width < 1000


def test_arrays_are_scaled_into_1080p():
    assert image_size(prepare_image(media.rgb_array(1080, 1920))) == (1080, 1920)
    assert image_size(prepare_image(media.rgb_array(3840, 2160))) == (1920, 1080)


# --- errors ----------------------------------------------------------------------


def test_errors_keep_their_fields_through_pickle_and_copy():
    error = OmniRealtimeConnectionError(
        "gone", code="c", param="p", error_type="t", status=503
    )
    clones = (pickle.loads(pickle.dumps(error)), copy.deepcopy(error))  # noqa: S301
    for clone in clones:
        assert type(clone) is OmniRealtimeConnectionError
        assert (
            str(clone),
            clone.code,
            clone.param,
            clone.error_type,
            clone.status,
        ) == (
            "gone",
            "c",
            "p",
            "t",
            503,
        )
    assert issubclass(OmniRealtimeError, QwenOmniError)


def test_read_audio_of_a_written_file_matches_soundfile(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, media.tone(0.2, 44_100), 44_100)
    samples, rate = read_audio(path)
    reference, _ = sf.read(path, dtype="float32")
    assert rate == 44_100
    assert np.allclose(samples, reference)


def test_the_realtime_extra_is_named_when_websockets_is_missing():
    code = (
        "import sys; sys.modules['websockets'] = None\n"
        "try:\n"
        "    import langchain_qwen_omni.realtime\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert 'pip install "langchain-qwen-omni[realtime]"' in done.stdout
    assert "websockets is not installed" in done.stdout
