"""Where a realtime session connects: its WebSocket URL, from the chat model's settings.

The key, region and environment rules are `ChatQwenOmni`'s: an explicit
`base_url` wins, then `region`, then `DASHSCOPE_BASE_URL`, then
`DASHSCOPE_API_BASE`, then Singapore. A compatible-mode URL
(`https://host/compatible-mode/v1`), a workspace domain
(`https://{WorkspaceId}.{region}.maas.aliyuncs.com`) or a WebSocket URL all
work: the realtime endpoint is `/api-ws/v1/realtime` on the same host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from langchain_qwen_omni.realtime.profiles import RealtimeProfile

__all__ = ["REALTIME_PATH", "check_workspace_domain", "realtime_url"]

REALTIME_PATH = "/api-ws/v1/realtime"
_SCHEMES = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}
_CHAT_PATH = "/compatible-mode/v1"
_PUBLIC_SUFFIX = ".aliyuncs.com"
_WORKSPACE_SUFFIX = ".maas.aliyuncs.com"


def realtime_url(base: str, model: str) -> str:
    """The realtime WebSocket URL on the host of `base`, with `?model=`.

    A `ws://` or `wss://` URL with a path is used as it is (a proxy may serve
    the endpoint elsewhere); an http(s) URL maps to `/api-ws/v1/realtime`.

    Raises:
        OmniInputError: For a URL that is not http(s) or ws(s).
    """
    parts = urlsplit(base)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        msg = (
            f"Cannot derive a realtime WebSocket URL from {base!r}: use an "
            "https:// endpoint such as https://dashscope-intl.aliyuncs.com, a "
            "workspace domain, or a wss:// URL."
        )
        raise OmniInputError(msg)
    path = parts.path.rstrip("/")
    given = parts.scheme.lower() in ("ws", "wss") and not path.endswith(_CHAT_PATH)
    if not (given or path.endswith(REALTIME_PATH)):
        path = ""  # a chat endpoint: the realtime one is on the same host
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "model"]
    query.append(("model", model))
    return urlunsplit(
        (scheme, parts.netloc, path or REALTIME_PATH, urlencode(query), "")
    )


def check_workspace_domain(url: str, model: str, profile: RealtimeProfile) -> None:
    """Refuse a public DashScope host for a model served only on workspace domains.

    Other hosts (an emulator, a proxy) pass: only the public hosts are known
    to refuse.

    Raises:
        OmniInputError: For such a model on `dashscope*.aliyuncs.com`.
    """
    if not profile.workspace_domain:
        return
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(_PUBLIC_SUFFIX) and not host.endswith(_WORKSPACE_SUFFIX):
        msg = (
            f"{model} is served only on workspace domains, not on {host}: pass "
            "base_url='https://{WorkspaceId}.ap-southeast-1.maas.aliyuncs.com' "
            "(or .cn-beijing.) with your workspace ID from the Model Studio console."
        )
        raise OmniInputError(msg)
