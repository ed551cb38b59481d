"""The bad-input catalog against a live emulator: nothing reaches the server.

The unit tests show each case raising its typed error with sockets disabled;
here the model points at a running emulator, and its request log proves
that no byte of a refused conversation was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import QwenOmniError
from tests.unit_tests.test_bad_inputs import CASES, Case, chat_for, check_error

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator import OmniEmulator


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_never_reaches_the_emulator(emu: OmniEmulator, case: Case) -> None:
    chat = chat_for(case, emu.base_url)
    with pytest.raises(QwenOmniError) as info:
        chat.invoke(case.messages(), **case.call)
    check_error(case, info.value)
    assert emu.requests == []


async def test_async_bad_inputs_never_reach_the_emulator(emu: OmniEmulator) -> None:
    for case in CASES:
        with pytest.raises(QwenOmniError) as info:
            await chat_for(case, emu.base_url).ainvoke(case.messages(), **case.call)
        check_error(case, info.value)
    assert emu.requests == []


def test_the_emulator_is_reachable_for_a_good_request(emu: OmniEmulator) -> None:
    """The empty logs above mean something: a good request is recorded."""
    chat = chat_for(CASES[0], emu.base_url)
    chat.invoke([HumanMessage("Hi")])
    assert len(emu.requests) == 1
