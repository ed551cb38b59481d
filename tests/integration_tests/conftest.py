"""One emulator per test session, reset before each test that uses it."""

from collections.abc import Iterator

import pytest

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.emulator import EmulatorOptions, OmniEmulator


@pytest.fixture(scope="session")
def _session_emulator() -> Iterator[OmniEmulator]:
    with OmniEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(_session_emulator: OmniEmulator) -> OmniEmulator:
    """The shared emulator with default options and an empty request log."""
    _session_emulator.options = EmulatorOptions()
    _session_emulator.clear()
    return _session_emulator


@pytest.fixture
def chat(emu: OmniEmulator) -> ChatQwenOmni:
    """A text model pointed at the emulator."""
    return ChatQwenOmni(base_url=emu.base_url, api_key="sk-emulator", max_retries=0)


@pytest.fixture
def speaker(emu: OmniEmulator) -> ChatQwenOmni:
    """A model that asks for speech, pointed at the emulator."""
    return ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk-emulator",
        modalities=["text", "audio"],
        max_retries=0,
    )
