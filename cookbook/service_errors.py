"""Service errors: keep what arrived when moderation, throttling or a break ends it.

Run it:

    python cookbook/service_errors.py --emulator   # offline: each call meets a fault
    python cookbook/service_errors.py              # online: the handler, real calls

`answer_or_partial` is the pattern. Qwen-Omni's service can stop an answer
that already began: content moderation of the output, a rate limit reported
inside the stream, a dropped connection. The package's typed errors say
which, with the service's code, message and request id, and each carries
what arrived before it in `.partial`, so an agent or a UI can keep the text
(and speech) it already has. Rate limits and breaks before any content are
retried for you within `max_retries`; what reaches this handler is what
retrying could not fix.

Offline, each call carries an `x-omni-fault` header that makes the emulator
fail it one way; online the calls run as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from _common import endpoint, recipe_parser

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAPIError,
    OmniContentFilterError,
    OmniRateLimitError,
    OmniStreamError,
)

if TYPE_CHECKING:
    from typing import Any

PROMPT = "Tell me a long story about a lighthouse keeper and a storm."


def answer_or_partial(model: ChatQwenOmni, prompt: str) -> tuple[str, str]:
    """The answer's text, or the text that came before a failure; and what happened."""
    try:
        return model.invoke(prompt).text, "complete"
    except OmniContentFilterError as err:  # on input also an openai.BadRequestError
        if err.side == "input":
            return "", f"the prompt was refused by moderation: {err.message}"
        return err.partial.text if err.partial else "", "moderation stopped the answer"
    except OmniRateLimitError as err:
        kept = err.partial.text if err.partial else ""
        return kept, f"throttled ({err.code}), request id {err.request_id}"
    except OmniAPIError as err:
        kept = err.partial.text if err.partial else ""
        code = f" {err.code}" if err.code else ""
        return kept, f"service error{code} (HTTP {err.status}): {err.message}"
    except OmniStreamError as err:
        return err.partial.text, "the stream broke"


def scenarios(offline: bool) -> list[tuple[str, dict[str, Any]]]:  # noqa: FBT001
    """Names and model settings: offline, each with the fault it meets."""
    if not offline:
        return [("a real call", {})]
    from langchain_qwen_omni.emulator import Fault  # noqa: PLC0415  # offline only
    from langchain_qwen_omni.emulator.faults import FAULT_HEADER  # noqa: PLC0415

    faults = {
        "no fault": None,
        "moderation of the output": Fault.moderation("output", after_events=6),
        "moderation of the input": Fault.moderation("input"),
        "throttled mid-answer": Fault.inband_error(after_events=5),
        "a gateway page instead of a stream": Fault.html_body(),
        "a dropped connection": Fault.cut(7),
    }
    return [
        (name, {"default_headers": {FAULT_HEADER: fault.header()}} if fault else {})
        for name, fault in faults.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    args = recipe_parser(__doc__).parse_args(argv)
    with endpoint(args) as connection:
        offline = bool(connection)
        for name, settings in scenarios(offline):
            model = ChatQwenOmni(
                model=args.model, max_retries=1, **connection, **settings
            )
            text, what = answer_or_partial(model, PROMPT)
            print(f"{name}: {what}; kept {len(text)} characters: {text[:60]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
