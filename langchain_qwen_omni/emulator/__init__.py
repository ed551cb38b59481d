"""A local server that speaks Qwen-Omni's streaming wire format, for tests.

Needs the `emulator` extra (starlette and uvicorn).
"""

from langchain_qwen_omni.emulator.app import RecordedRequest, create_app
from langchain_qwen_omni.emulator.faults import Fault
from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.process import emulator_process
from langchain_qwen_omni.emulator.server import OmniEmulator

__all__ = [
    "EmulatorOptions",
    "Fault",
    "OmniEmulator",
    "RecordedRequest",
    "create_app",
    "emulator_process",
]
