"""Scripted answers over HTTP, for an emulator running in another process.

`OmniEmulator.enqueue` reaches an emulator in the same process; one started
with `qwen-omni emulator`, `python -m langchain_qwen_omni.emulator` or
`emulator_process()` takes its script at `/emulator/script`:

- `POST` `{"answers": [...], "match": null}` queues answers in their JSON
  form (`Answer.to_dict`; a plain string is a text answer) and returns
  `{"pending": <count>}`; a malformed answer is a 400 in the API's error
  envelope and queues nothing;
- `GET` returns `{"pending": [...], "used": [...]}`;
- `DELETE` drops the queue and the record of used answers.

`RemoteScript` is the client of that route, with the same methods as the
in-process `Script`.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

from langchain_qwen_omni.emulator.errors import invalid_parameter
from langchain_qwen_omni.emulator.script import Answer, Script, as_answer

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["SCRIPT_PATH", "RemoteScript", "script_endpoint"]

SCRIPT_PATH = "/emulator/script"
"""Where a running emulator takes scripted answers (GET, POST, DELETE)."""
_TIMEOUT_SECONDS = 10.0


def _state(script: Script) -> dict[str, Any]:
    return {
        "pending": [answer.to_dict() for answer in script.pending],
        "used": [answer.to_dict() for answer in script.used],
    }


def _parse(data: object) -> tuple[list[Answer], str | None]:
    """Read a POST body: the answers and their `match`.

    Raises:
        ValueError: Naming the answer that does not parse, and why.
    """
    if not isinstance(data, dict) or not isinstance(data.get("answers"), list):
        msg = 'the body is {"answers": [...], "match": null}'
        raise ValueError(msg)  # noqa: TRY004 - reported as a 400, whatever the cause
    match = data.get("match")
    if match is not None and not isinstance(match, str):
        msg = "match must be a string or null"
        raise ValueError(msg)
    answers = [_answer(index, item) for index, item in enumerate(data["answers"])]
    return answers, match


def _answer(index: int, item: object) -> Answer:
    """Read one answer of a POST body; a string is a text answer.

    Raises:
        ValueError: Naming the answer's index and what is wrong with it.
    """
    try:
        if isinstance(item, Mapping):
            return Answer.from_dict(item)
        return as_answer(item)
    except (TypeError, ValueError) as exc:
        msg = f"answers[{index}]: {exc}"
        raise ValueError(msg) from exc


async def script_endpoint(request: Request) -> Response:
    """Show (GET), extend (POST) or clear (DELETE) the emulator's script."""
    script: Script = request.app.state.options.script
    if request.method == "DELETE":
        script.clear()
    elif request.method == "POST":
        try:
            answers, match = _parse(json.loads(await request.body()))
        except (ValueError, RecursionError) as exc:
            error = invalid_parameter(f"Scripted answers: {exc}")
            return JSONResponse(error.body, status_code=error.status)
        script.add(*answers, match=match)
        return JSONResponse({"pending": len(script)})
    return JSONResponse(_state(script))


class RemoteScript:
    """The script of an emulator in another process, through its HTTP route.

    Example:
        ```python
        with emulator_process() as base_url:
            RemoteScript(base_url).add(Answer.tool_call("add", {"a": 1, "b": 2}))
            ...
        ```
    """

    def __init__(self, url: str, *, timeout: float = _TIMEOUT_SECONDS) -> None:
        """Point at an emulator.

        Args:
            url: Its base URL (`.../compatible-mode/v1`) or root URL.
            timeout: Seconds to wait for each answer of the route.

        Raises:
            ValueError: For a URL that is not http(s).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            msg = f"RemoteScript needs the emulator's http URL, got {url!r}"
            raise ValueError(msg)
        self.url = f"{parts.scheme}://{parts.netloc}{SCRIPT_PATH}"
        self._timeout = timeout

    def _call(self, method: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
            return json.loads(response.read())

    def add(self, *answers: Answer | str, match: str | None = None) -> int:
        """Queue answers (see `Script.add`); return how many are queued now.

        Raises:
            TypeError: For an entry that is not an `Answer` or a str.
            urllib.error.HTTPError: When the emulator refuses the answers.
        """
        wire = [as_answer(answer).to_dict() for answer in answers]
        result = self._call("POST", {"answers": wire, "match": match})
        return int(result["pending"])

    @property
    def pending(self) -> list[Answer]:
        """The answers not used yet, in order."""
        return [Answer.from_dict(a) for a in self._call("GET")["pending"]]

    @property
    def used(self) -> list[Answer]:
        """The answers requests took, in order."""
        return [Answer.from_dict(a) for a in self._call("GET")["used"]]

    def clear(self) -> None:
        """Drop the queued answers and the record of used ones."""
        self._call("DELETE")
