"""OmniAudio in logs and notebooks: a short repr and an HTML player."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import soundfile as sf

from langchain_qwen_omni import OmniAudio
from tests.fake_audio import tone_pcm

LONG_TEXT = "Hello there! " * 200


def three_seconds() -> OmniAudio:
    return OmniAudio(pcm=tone_pcm(72_000, 24_000), transcript=LONG_TEXT)


def test_repr_is_one_short_line_with_duration_rate_channels_and_transcript_head():
    audio = three_seconds()

    text = repr(audio)

    assert text == (
        "OmniAudio(3.00 s, 24000 Hz, mono, transcript='Hello there! Hello there! "
        "Hello there...')"
    )
    assert len(text) < 120


def test_print_shows_the_same_summary_not_the_samples():
    audio = three_seconds()

    assert str(audio) == repr(audio)
    assert f"{audio}" == repr(audio)
    assert "\\x" not in str(audio)


def test_repr_of_stereo_and_short_transcripts():
    audio = OmniAudio(pcm=tone_pcm(8000, 16_000, 2), sample_rate=16_000, channels=2)

    assert repr(audio) == "OmniAudio(0.50 s, 16000 Hz, 2 channels, transcript='')"
    assert repr(OmniAudio(pcm=b"", transcript="Hi\nthere")) == (
        "OmniAudio(0.00 s, 24000 Hz, mono, transcript='Hi there')"
    )


def test_notebook_player_is_an_audio_element_holding_the_wav():
    audio = OmniAudio(pcm=tone_pcm(2400, 24_000), transcript="<b>Hi</b> & bye")

    html = audio._repr_html_()

    found = re.search(r'<audio controls[^>]* src="data:audio/wav;base64,([^"]+)"', html)
    assert found is not None
    samples, rate = sf.read(io.BytesIO(base64.b64decode(found.group(1))), dtype="int16")
    assert rate == 24_000
    assert np.array_equal(samples, audio.to_numpy())
    assert "&lt;b&gt;Hi&lt;/b&gt; &amp; bye" in html
    assert "<b>" not in html
    assert "0.10 s, 24000 Hz" in html
