"""Live spoken sessions with Qwen-Omni-Realtime: `QwenOmniRealtime` and its events.

Needs the `realtime` extra (websockets).
"""

from langchain_qwen_omni._extras import require

require("realtime", "websockets")

# The imports follow the check, so a missing extra is named, not just missing.

from langchain_qwen_omni.realtime.errors import (  # noqa: E402
    OmniRealtimeConnectionError,
    OmniRealtimeError,
)
from langchain_qwen_omni.realtime.events import (  # noqa: E402
    AssistantAudio,
    AssistantTranscriptDelta,
    ErrorEvent,
    RealtimeEvent,
    ResponseDone,
    SessionReconnected,
    SpeechStarted,
    SpeechStopped,
    ToolCallFinished,
    ToolCallStarted,
    UserTranscriptCompleted,
    UserTranscriptDelta,
)
from langchain_qwen_omni.realtime.profiles import (  # noqa: E402
    RealtimeProfile,
    get_realtime_profile,
)
from langchain_qwen_omni.realtime.session import QwenOmniRealtime  # noqa: E402

__all__ = [
    "AssistantAudio",
    "AssistantTranscriptDelta",
    "ErrorEvent",
    "OmniRealtimeConnectionError",
    "OmniRealtimeError",
    "QwenOmniRealtime",
    "RealtimeEvent",
    "RealtimeProfile",
    "ResponseDone",
    "SessionReconnected",
    "SpeechStarted",
    "SpeechStopped",
    "ToolCallFinished",
    "ToolCallStarted",
    "UserTranscriptCompleted",
    "UserTranscriptDelta",
    "get_realtime_profile",
]
