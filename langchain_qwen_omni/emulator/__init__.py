"""A local server that speaks Qwen-Omni's streaming wire format, for tests.

Needs the `emulator` extra (starlette and uvicorn).
"""

from langchain_qwen_omni._extras import require

require("emulator", "starlette", "uvicorn")

# The imports follow the check, so a missing extra is named, not just missing.

from langchain_qwen_omni.emulator.app import RecordedRequest, create_app  # noqa: E402
from langchain_qwen_omni.emulator.faults import Fault  # noqa: E402
from langchain_qwen_omni.emulator.options import EmulatorOptions  # noqa: E402
from langchain_qwen_omni.emulator.process import emulator_process  # noqa: E402
from langchain_qwen_omni.emulator.script import (  # noqa: E402
    Answer,
    Script,
    ScriptedCall,
)
from langchain_qwen_omni.emulator.script_http import RemoteScript  # noqa: E402
from langchain_qwen_omni.emulator.server import OmniEmulator  # noqa: E402
from langchain_qwen_omni.emulator.vllm_facts import VllmServerOptions  # noqa: E402

__all__ = [
    "Answer",
    "EmulatorOptions",
    "Fault",
    "OmniEmulator",
    "RecordedRequest",
    "RemoteScript",
    "Script",
    "ScriptedCall",
    "VllmServerOptions",
    "create_app",
    "emulator_process",
]
