"""langchain-tests' standard integration suite, run against the emulator.

The emulator is a test double, not a model: it answers every request by a
fixed rule (see `langchain_qwen_omni.emulator.tools`). Tests that check the
client (streaming, usage, tool-call parsing, structured output through a
forced tool call, agent loops) pass on those rules. A test that needs a
model to understand its prompt is marked `xfail` with the reason.

Two suite tests download sample media (an image from GitHub, a WAV from
Wikimedia) before sending it; offline, those downloads are answered with
generated files of the same types, since what is under test is how the
client sends media, not what the media show.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.integration_tests import chat_models as standard

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.emulator import OmniEmulator
from tests import media
from tests.standard_flags import OmniCapabilities

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_core.language_models import BaseChatModel

EMULATOR = OmniEmulator()
"""One emulator for the whole suite: `chat_model_params` reads its URL."""

_SAMPLES = {".png": lambda: media.png(64, 48), ".wav": lambda: media.wav(1.0)}


@pytest.fixture(scope="module", autouse=True)
def _running_emulator() -> Iterator[None]:
    with EMULATOR:
        yield


def _local_sample(url: str, **kwargs: Any) -> types.SimpleNamespace:
    """Answer the suite's sample downloads with generated media of that type."""
    del kwargs
    suffix = url[url.rfind(".") :]
    if suffix not in _SAMPLES:
        msg = f"no offline sample for {url}"
        raise AssertionError(msg)
    return types.SimpleNamespace(content=_SAMPLES[suffix]())


@pytest.fixture(autouse=True)
def _offline_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standard, "httpx", types.SimpleNamespace(get=_local_sample))
    monkeypatch.setenv(
        "LANGCHAIN_TESTS_USER_AGENT", "langchain-qwen-omni offline tests"
    )


class TestChatQwenOmniIntegration(OmniCapabilities, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatQwenOmni]:
        return ChatQwenOmni

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "qwen3-omni-flash",
            "base_url": EMULATOR.base_url,
            "api_key": "sk-emulator",
            "max_retries": 0,
        }

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return False  # Omni's tool messages carry text only

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "qwen3-omni-flash-2025-09-15"

    @pytest.mark.xfail(
        reason=(
            "JSON mode gives a JSON object whose keys the prompt describes in "
            "words ('setup' and 'punchline'); reading them needs a model. The "
            "emulator's JSON-mode answer describes the request instead, so "
            "parsing it as the test's Joke fails."
        ),
        strict=True,
    )
    def test_json_mode(self, model: BaseChatModel) -> None:
        super().test_json_mode(model)

    @pytest.mark.xfail(
        reason=(
            "The test needs a model to copy the customer's name from the prompt "
            "into the tool arguments; the emulator fills string arguments with "
            "'emulated <field>'. Non-ASCII arguments surviving the stream "
            "unescaped is tested in test_tools.py."
        ),
        strict=True,
    )
    def test_unicode_tool_call_integration(
        self, model: BaseChatModel, **kwargs: Any
    ) -> None:
        super().test_unicode_tool_call_integration(model, **kwargs)
