"""Describe videos of any length in chains and agents: a tool and a runnable.

`DescribeVideoTool` (for agents) and `create_video_describer` (for LCEL
chains) share one pipeline:

1. resolve the input: an http(s) URL, or a file inside `allowed_dirs`;
2. plan with `video.plan_video`: send the file whole if it fits the model,
   else cut it into re-encoded segments or sample JPEG frame sequences;
3. map: describe every part concurrently (at most `max_concurrency` at a
   time), each prompt naming the time range it covers; a progress event
   goes out through LangChain callbacks as each part finishes;
4. reduce: one text call merges the parts into one answer with timestamps
   (when the parts' texts would not fit the model's input at once, runs of
   them are first condensed, concurrently, round after round).

The sync and async paths share every step but their I/O loop: preparing a
video (decoding, encoding) runs in a worker thread on the async path, so
the event loop never blocks on it. What preparing holds on the machine (the
open file, the folder of cut segments) belongs to a `_Workspace` made before
the work starts, so it is removed however the description ends: success,
error, `KeyboardInterrupt`, or the cancellation of an async task (which stops
the worker thread at its next frame and waits for it first).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
import threading
from collections.abc import Callable  # noqa: TC003  # a pydantic field type
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from langchain_core.callbacks.manager import (
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.messages.ai import add_usage
from langchain_core.runnables import RunnableLambda, ensure_config, patch_config
from langchain_core.runnables.config import run_in_executor
from langchain_core.tools import BaseTool, ToolException
from langchain_core.tools.base import (
    ToolExceptionHandlerOutput,  # noqa: TC002  # pydantic resolves field types at runtime
)
from pydantic import BaseModel, Field, ValidationError
from pydantic.v1 import (
    ValidationError as ValidationErrorV1,  # noqa: TC002  # a field type, as above
)

from langchain_qwen_omni._codec import b64encode, data_url
from langchain_qwen_omni._sandbox import (
    LocalVideo,
    RemoteVideo,
    open_local_video,
    resolve_video_source,
)
from langchain_qwen_omni.audio import OmniAudio
from langchain_qwen_omni.chat_models import ChatQwenOmni  # noqa: TC001  # a pydantic field type, needed at runtime
from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.video import (
    FRAMES_PER_SECOND,
    PlanKind,
    Strategy,
    VideoPart,
    VideoPlan,
    VideoPrepStoppedError,
    _mb,
    cut_segments,
    plan_video,
    probe_video,
    sample_frames,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import openai
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import BaseMessage, UsageMetadata
    from langchain_core.runnables import Runnable, RunnableConfig

    from langchain_qwen_omni._sandbox import OpenedVideo, VideoSource

__all__ = [
    "PROGRESS_EVENT",
    "DescribeVideoInput",
    "DescribeVideoTool",
    "VideoDescription",
    "VideoSegment",
    "create_video_describer",
]

PROGRESS_EVENT = "describe_video_progress"
"""Name of the custom callback event sent as each part of a video is described.

Its data is `{"done": k, "total": n, "index": i, "start": s, "end": e}`:
`done` counts finished parts (1, 2, ... n, in that order), `index` is the
part that just finished and `start`/`end` its seconds (`end` is `None` for
a URL video sent whole). Receive it with a callback handler's
`on_custom_event`, or as `on_custom_event` in `astream_events`.
"""
DEFAULT_QUESTION = "Describe what happens in this video: what is seen and heard."
DEFAULT_MAX_CONCURRENCY = 4
_T = TypeVar("_T")

# Refusals the API gives for a video it cannot take as it is.
_TOO_BIG_HINTS = ("too long", "too large", "file size", "exceeded limit", "duration")


# --- what comes out -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VideoSegment:
    """What the model said about one part of the video."""

    start: float
    """Seconds from the start of the video."""
    end: float | None
    """Seconds; `None` when unknown (a URL video sent whole)."""
    text: str


@dataclasses.dataclass(frozen=True)
class VideoDescription:
    """The structured result: the tool's artifact and the runnable's output."""

    answer: str
    """The merged answer, with timestamps when the video was cut."""
    segments: tuple[VideoSegment, ...]
    """Each part's own description, in time order (one part if sent whole)."""
    strategy: PlanKind
    """`"whole"`, `"segments"` or `"frames"`."""
    reason: str
    """Why that strategy: the measured values and the limits behind it."""
    audio: OmniAudio | None
    """The spoken answer when the model speaks (`modalities=["text", "audio"]`)."""
    usage: UsageMetadata | None
    """Token usage summed over every call (parts and merge)."""
    video: str
    """The video as given (path or URL)."""
    question: str
    """The question answered (the default description request when none was given)."""
    duration: float | None
    """The whole video's length in seconds; `None` for URL videos."""


class DescribeVideoInput(BaseModel):
    """Arguments of `describe_video`."""

    video: str = Field(
        description="Path of a local video file (inside the allowed folders) "
        "or an http(s) URL of a video."
    )
    question: str | None = Field(
        default=None,
        description="What to find out about the video. Omit for a general "
        "description of what is seen and heard, with timestamps.",
    )
    start: float | None = Field(
        default=None, ge=0, description="Describe from this second on (local files)."
    )
    end: float | None = Field(
        default=None, gt=0, description="Describe up to this second (local files)."
    )


# --- the pipeline -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Options:
    llm: ChatQwenOmni
    allowed_dirs: tuple[Path, ...]
    max_concurrency: int
    strategy: Strategy
    allow_hardlinks: bool = False
    max_file_bytes: int | None = None

    def file_limit(self) -> tuple[int, str]:
        """The largest local file read, and where that limit comes from.

        The setting, else the model's per-video cap.
        """
        if self.max_file_bytes is not None:
            return self.max_file_bytes, "its max_file_bytes setting"
        profile = self.llm.omni_profile
        return profile.video_max_bytes, (
            f"{_mb(profile.video_max_bytes)}, {profile.family}'s limit per video, "
            "which max_file_bytes defaults to"
        )


class _Workspace:
    """What preparing one video holds on the machine, and how to let it go.

    Made by the caller before preparing starts, so that whichever thread
    prepares, the caller can ask it to stop (`stop`, checked at every frame)
    and remove the temporary folder and close the video file (`close`,
    thread-safe and idempotent). After `close`, no new folder or file is
    taken, so a worker that runs on cannot leave one behind.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._closed = False
        self._folder: Path | None = None
        self._videos: list[OpenedVideo] = []

    def folder(self) -> Path:
        """The private temporary folder (mode 0700), made on first use."""
        with self._lock:
            self._check_open()
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="qwen-omni-video-"))
            return self._folder

    def adopt(self, video: OpenedVideo) -> OpenedVideo:
        """Hold an opened video until `release` or `close`."""
        with self._lock:
            if self._closed:
                video.close()
            self._check_open()
            self._videos.append(video)
        return video

    def release(self, video: OpenedVideo) -> None:
        """Close a video that is no longer needed."""
        with self._lock:
            if video in self._videos:
                self._videos.remove(video)
        video.close()

    def _check_open(self) -> None:
        if self._closed:
            msg = "The video description was stopped."
            raise VideoPrepStoppedError(msg)

    def close(self) -> None:
        """Stop the work, close the video and remove the folder."""
        self.stop.set()
        with self._lock:
            self._closed = True
            folder, self._folder = self._folder, None
            videos, self._videos = self._videos, []
        for video in videos:
            video.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


class _Job:
    """A video made ready to send: its parts, and the data or files holding them."""

    def __init__(
        self,
        request: DescribeVideoInput,
        source: VideoSource,
        plan: VideoPlan,
        duration: float | None,
    ) -> None:
        self.request = request
        self.source = source
        self.plan = plan
        self.duration = duration
        self.question = request.question or DEFAULT_QUESTION
        self.whole_url: str | None = (
            source.url if isinstance(source, RemoteVideo) else None
        )
        """The URL of a video sent as it is: a URL video's own, or a local
        file's data URL, encoded from the checked descriptor while preparing."""
        self.segment_files: list[Path] = []
        self.frames: list[list[bytes]] = []

    @property
    def parts(self) -> tuple[VideoPart, ...]:
        return self.plan.parts

    def media_block(self, index: int) -> dict[str, Any]:
        """The wire block of one part; reads and encodes its file on demand."""
        if self.plan.kind == "frames":
            urls = [
                data_url(b64encode(jpeg), "image/jpeg") for jpeg in self.frames[index]
            ]
            return {"type": "video", "video": urls}
        if self.segment_files:
            url = data_url(b64encode(self.segment_files[index].read_bytes()))
        elif self.whole_url is not None:
            url = self.whole_url
        else:  # pragma: no cover - every local plan fills one of the above
            msg = "a local video was not prepared"
            raise RuntimeError(msg)
        return {"type": "video_url", "video_url": {"url": url}}

    def part_messages(self, index: int) -> list[BaseMessage]:
        """The request for one part: its media and a prompt naming its range."""
        content: list[str | dict[str, Any]] = [
            self.media_block(index),
            {"type": "text", "text": self.part_prompt(index)},
        ]
        return [HumanMessage(content=content)]

    def part_prompt(self, index: int) -> str:
        part, count = self.parts[index], len(self.parts)
        frames = ""
        if self.plan.kind == "frames":
            frames = (
                f" These are {len(part.frame_times)} frames sampled at about "
                f"{FRAMES_PER_SECOND:g} per second (no sound)."
            )
        whole_range = part.start == 0 and part.end == (self.duration or part.end)
        if count == 1 and whole_range:
            return f"{self.question}{frames} Give times as mm:ss.".strip()
        where = f"{_clock(part.start)}-{_clock(part.end)}"
        of = f" of a {_clock(self.duration)} video" if self.duration else ""
        if count == 1:
            return (
                f"This clip is {where}{of}.{frames} {self.question} Give times as "
                f"mm:ss from the start of the whole video (the clip starts at "
                f"{_clock(part.start)})."
            )
        return (
            f"Part {index + 1} of {count}, {where}{of}.{frames} {self.question} "
            f"Answer for this part only, giving times as mm:ss from the start of "
            f"the whole video (this part starts at {_clock(part.start)})."
        )

    def merge_messages(
        self, items: Sequence[VideoSegment], *, final: bool = True
    ) -> list[BaseMessage]:
        """A reduce request: each item's text under its time range, then the task.

        The final merge answers the question for the whole video; an
        intermediate one (when the final would not fit the model's input)
        condenses a run of consecutive items into one.
        """
        first, last = _clock(items[0].start), _clock(items[-1].end)
        heading = (
            "Descriptions of consecutive parts of one video:"
            if final
            else f"Descriptions of consecutive parts of one video, {first}-{last}:"
        )
        task = (
            f"Question: {self.question}\nAnswer it for the whole video in one "
            "text, citing times as [mm:ss-mm:ss]. Do not mention the parts."
            if final
            else f"Combine them into one description of {first}-{last}, citing "
            "times as [mm:ss-mm:ss] and keeping every detail that helps answer: "
            f"{self.question}"
        )
        prompt = f"{heading}\n{_merge_lines(items)}\n\n{task}"
        return [HumanMessage(content=prompt)]

    def explain(self, exc: openai.BadRequestError) -> OmniInputError:
        """Turn an API refusal into a message an agent can act on."""
        text = str(exc)
        if not isinstance(self.source, LocalVideo) and any(
            hint in text.lower() for hint in _TOO_BIG_HINTS
        ):
            msg = (
                f"The API refused the video at {self.source.url} ({text}). It is "
                "probably longer or larger than the model takes; cutting it needs "
                "a local file: save it inside the allowed folders and pass its path."
            )
            return OmniInputError(msg)
        return OmniInputError(f"The API refused the request: {text}")


def _merge_lines(items: Sequence[VideoSegment]) -> str:
    return "\n".join(
        f"[{_clock(item.start)}-{_clock(item.end)}] {' '.join(item.text.split())}"
        for item in items
    )


def _merge_groups(
    items: Sequence[VideoSegment], budget: int
) -> list[list[VideoSegment]]:
    """Consecutive runs of items whose merge prompt stays within `budget` chars.

    A run holds at least two items, so every round of merges at least
    halves the count, whatever the budget.
    """
    groups: list[list[VideoSegment]] = [[]]
    size = 0
    for item in items:
        cost = len(_merge_lines([item])) + 1
        if len(groups[-1]) >= 2 and size + cost > budget:  # noqa: PLR2004
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += cost
    return groups


class _MergeRound:
    """One round of intermediate merges: requests out, condensed items back."""

    def __init__(self, run: _Run, groups: list[list[VideoSegment]]) -> None:
        self._run = run
        self._groups = groups
        self.requests: list[LanguageModelInput] = [
            run.job.merge_messages(group, final=False)
            for group in groups
            if len(group) > 1
        ]

    def finish(self, answers: Sequence[BaseMessage]) -> list[VideoSegment]:
        """Replace each merged group by one item spanning its time range."""
        merged = iter(answers)
        items = []
        for group in self._groups:
            if len(group) == 1:
                items.append(group[0])
                continue
            message = _as_ai(next(merged))
            self._run.calls.append(message)
            items.append(VideoSegment(group[0].start, group[-1].end, message.text))
        return items


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "end"
    whole = round(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _prepare(
    options: _Options, request: DescribeVideoInput, workspace: _Workspace
) -> _Job:
    """Resolve, open, probe, plan and cut or sample: all the blocking work.

    The file is opened once, checked on its descriptor, and that descriptor
    is what gets probed, cut, sampled or read; it is closed before returning.
    What is made lives in `workspace`, which the caller closes.
    """
    source = resolve_video_source(request.video, options.allowed_dirs)
    if not isinstance(source, LocalVideo):
        return _Job(request, source, _url_plan(request, options.strategy), None)
    max_bytes, limit = options.file_limit()
    video = workspace.adopt(
        open_local_video(
            source,
            options.allowed_dirs,
            max_bytes=max_bytes,
            limit=limit,
            allow_hardlinks=options.allow_hardlinks,
        )
    )
    info = probe_video(video.file())
    plan = plan_video(
        info,
        options.llm.omni_profile,
        strategy=options.strategy,
        start=request.start,
        end=request.end,
    )
    job = _Job(request, source, plan, info.duration)
    stop = workspace.stop
    if plan.kind == "segments":
        job.segment_files = cut_segments(
            video.file(), plan, workspace.folder(), stop=stop
        )
    elif plan.kind == "frames":
        job.frames = sample_frames(video.file(), plan, stop=stop)
    else:  # encoded here, off the event loop; the file's bytes are let go
        job.whole_url = data_url(b64encode(video.read_all()))
    workspace.release(video)
    return job


def _url_plan(request: DescribeVideoInput, strategy: Strategy) -> VideoPlan:
    if request.start is not None or request.end is not None or strategy == "frames":
        wanted = "frames" if strategy == "frames" else "a time range"
        msg = (
            f"{request.video} is a URL, and {wanted} needs the video cut, which "
            "needs a local file (URL videos are passed to the API as they are, "
            "never downloaded). Save it inside the allowed folders and pass its "
            "path, or describe the whole video by URL."
        )
        raise OmniInputError(msg)
    reason = (
        "URL videos are passed to the API by URL, unchanged and never downloaded; "
        "the API checks their length and size"
    )
    return VideoPlan("whole", reason, (VideoPart(0.0, 0.0),))


class _Run:
    """The map and reduce steps of one job, shared by the sync and async paths."""

    def __init__(self, options: _Options, job: _Job) -> None:
        self.options = options
        self.job = job
        self.total = len(job.parts)
        self.done = 0
        self.messages: dict[int, AIMessage] = {}
        self.calls: list[AIMessage] = []
        """Every answer but the parts' (intermediate and final merges)."""
        # Parts of a multi-part video answer in text: only the final merge speaks.
        self.text_llm = (
            options.llm
            if self.total == 1
            else options.llm.model_copy(update={"modalities": ["text"]})
        )
        self.mapper: Runnable[int, BaseMessage] = RunnableLambda(
            job.part_messages, name="video_part_messages"
        ) | self.text_llm.with_config(run_name="describe_video_part")
        self.inputs = list(range(self.total))
        # Characters of merge prompt the model surely takes (a token is at
        # least one character), with room left for the answer.
        self.budget = int(options.llm.omni_profile.max_input_tokens * 0.8)

    def map_config(self, config: RunnableConfig) -> RunnableConfig:
        return patch_config(config, max_concurrency=self.options.max_concurrency)

    def collect(self, index: int, message: BaseMessage) -> dict[str, Any]:
        """Keep one part's answer; return the progress event's data."""
        self.messages[index] = _as_ai(message)
        self.done += 1
        part = self.job.parts[index]
        return {
            "done": self.done,
            "total": self.total,
            "index": index,
            "start": part.start,
            "end": self._end(part),
        }

    def _end(self, part: VideoPart) -> float | None:
        return part.end if isinstance(self.job.source, LocalVideo) else None

    def segments(self) -> list[VideoSegment]:
        return [
            VideoSegment(part.start, self._end(part), self.messages[i].text)
            for i, part in enumerate(self.job.parts)
        ]

    def condense(self, items: list[VideoSegment]) -> _MergeRound | None:
        """The next round of intermediate merges; `None` once the final fits."""
        if len(items) <= 2 or len(_merge_lines(items)) <= self.budget:  # noqa: PLR2004
            return None
        return _MergeRound(self, _merge_groups(items, self.budget))

    def final_request(self, items: list[VideoSegment]) -> list[BaseMessage] | None:
        """The final merge, or `None` when a single part is the answer."""
        return self.job.merge_messages(items) if self.total > 1 else None

    def result(self, final: BaseMessage | None) -> VideoDescription:
        parts = [self.messages[i] for i in range(self.total)]
        answer = parts[0] if final is None else _as_ai(final)
        usage: UsageMetadata | None = None
        for message in [*parts, *self.calls] + ([answer] if final else []):
            if message.usage_metadata:
                usage = add_usage(usage, message.usage_metadata)
        speaks = "audio" in self.options.llm.modalities
        return VideoDescription(
            answer=answer.text,
            segments=tuple(self.segments()),
            strategy=self.job.plan.kind,
            reason=self.job.plan.reason,
            audio=OmniAudio.from_message(answer) if speaks else None,
            usage=usage,
            video=self.job.request.video,
            question=self.job.question,
            duration=self.job.duration,
        )


def _as_ai(message: BaseMessage) -> AIMessage:
    if isinstance(message, AIMessage):
        return message
    return AIMessage(content=message.content)


@contextlib.contextmanager
def _explained(job: _Job) -> Iterator[None]:
    """Turn the API's 400 answers into `OmniInputError`s that say what to do."""
    import openai  # noqa: PLC0415  # loaded by the chat model already; kept lazy

    try:
        yield
    except openai.BadRequestError as exc:
        raise job.explain(exc) from exc


def _describe(
    options: _Options, request: DescribeVideoInput, config: RunnableConfig
) -> VideoDescription:
    """Describe a video: prepare, map the parts concurrently, merge."""
    workspace = _Workspace()
    try:
        job = _prepare(options, request, workspace)
        run = _Run(options, job)
        with _explained(job):
            for index, message in run.mapper.batch_as_completed(
                run.inputs, run.map_config(config)
            ):
                data = run.collect(index, message)
                dispatch_custom_event(PROGRESS_EVENT, data, config=config)
            items = run.segments()
            while step := run.condense(items):
                answers = run.text_llm.batch(step.requests, run.map_config(config))
                items = step.finish(answers)
            merge = run.final_request(items)
            final = options.llm.invoke(merge, config) if merge else None
        return run.result(final)
    finally:
        workspace.close()


async def _adescribe(
    options: _Options, request: DescribeVideoInput, config: RunnableConfig
) -> VideoDescription:
    """Async twin of `_describe`: preparing, and decoding speech, run in threads.

    `abatch_as_completed` bounds the parts in flight with an asyncio
    semaphore of `max_concurrency`.
    """
    workspace = _Workspace()
    try:
        job = await _in_thread(
            config, workspace.stop, _prepare, options, request, workspace
        )
        run = _Run(options, job)
        with _explained(job):
            async for index, message in run.mapper.abatch_as_completed(
                run.inputs, run.map_config(config)
            ):
                data = run.collect(index, message)
                await adispatch_custom_event(PROGRESS_EVENT, data, config=config)
            items = run.segments()
            while step := run.condense(items):
                answers = await run.text_llm.abatch(
                    step.requests, run.map_config(config)
                )
                items = step.finish(answers)
            merge = run.final_request(items)
            final = await options.llm.ainvoke(merge, config) if merge else None
        # Decoding the speech takes about 20 ms per minute of it.
        return await run_in_executor(config, run.result, final)
    finally:
        await _in_thread(None, None, workspace.close)


async def _in_thread(
    config: RunnableConfig | None,
    stop: threading.Event | None,
    func: Callable[..., _T],
    *args: Any,
) -> _T:
    """Run blocking work in a worker thread; on cancellation, stop it and wait.

    A thread cannot be killed, so a cancelled caller sets `stop` (which the
    work checks) and waits for the thread to end before the cancellation
    goes on: whatever the work made can then be removed, and nothing is
    made after.
    """
    work = asyncio.ensure_future(run_in_executor(config, func, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        if stop is not None:
            stop.set()
        await asyncio.wait([work])
        if not work.cancelled():
            work.exception()  # seen: the stop it raises is the point, not news
        raise


# --- public entry points ------------------------------------------------------


def _validation_message(error: ValidationError | ValidationErrorV1) -> str:
    """Say which argument was wrong and why, so an agent can retry."""
    problems = [
        f"{'.'.join(str(p) for p in item['loc']) or 'arguments'}: {item['msg']}"
        for item in error.errors()
    ]
    return "Invalid describe_video arguments: " + "; ".join(problems)


class DescribeVideoTool(BaseTool):
    """Describe a video, or answer a question about it, for agents.

    Local files are read only inside `allowed_dirs` (none by default, so only
    http(s) URLs work until you allow a folder), opened once without
    following symlinks, and checked on the open file (a regular file, one
    hard link unless `allow_hardlinks`, at most `max_file_bytes`) before any
    read. Videos longer or larger than the model takes are cut into
    segments (streams copied when they fit, else re-encoded at the 2
    pictures a second the model samples) or sampled into frames, described
    concurrently and merged into one answer with timestamps. Temporary
    segments are removed however the description ends, cancellation
    included.

    Invoked with a `ToolCall`, it returns a `ToolMessage` whose content is the
    answer and whose `artifact` is a `VideoDescription` (the parts with their
    time ranges, the strategy and why, the speech, the summed usage).
    Problems the agent can fix (a refused path, a missing, too large or
    undecodable file, a malformed URL, a URL that would need cutting) come
    back as the ToolMessage's text with `status="error"` instead of raising.

    Example:
        ```python
        from langchain_qwen_omni import ChatQwenOmni, DescribeVideoTool

        tool = DescribeVideoTool(
            llm=ChatQwenOmni(model="qwen3-omni-flash"),
            allowed_dirs=["./videos"],
        )
        message = tool.invoke(
            {
                "type": "tool_call",
                "id": "1",
                "name": "describe_video",
                "args": {"video": "talk.mp4", "question": "Who speaks when?"},
            }
        )
        message.content  # the answer
        message.artifact.segments  # (VideoSegment(start, end, text), ...)
        ```

    Progress: a `describe_video_progress` custom event per described part
    (see `PROGRESS_EVENT`).
    """

    name: str = "describe_video"
    description: str = (
        "Describe a video, or answer a question about it: what is seen and heard, "
        "with timestamps. Works on videos of any length. Args: video (a file "
        "path inside the allowed folders, or an http(s) URL), optional question, "
        "optional start/end seconds to look at part of a local file."
    )
    args_schema: type[BaseModel] = DescribeVideoInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: (
        bool | str | Callable[[ToolException], ToolExceptionHandlerOutput] | None
    ) = True
    """Refusals and bad files come back as the tool's text (LangChain convention)."""
    handle_validation_error: (
        bool | str | Callable[[ValidationError | ValidationErrorV1], str] | None
    ) = _validation_message
    """Bad arguments (e.g. a negative `start`) come back as text saying what to fix."""

    llm: ChatQwenOmni
    """The Omni model that watches the video; its modalities decide speech."""
    allowed_dirs: list[Path] = Field(default_factory=list)
    """Folders whose files may be read; empty: local files refused, URLs only."""
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1)
    """Most parts described at the same time."""
    strategy: Strategy = "auto"
    """`"auto"`, or force `"segments"` or `"frames"` for videos that do not fit."""
    allow_hardlinks: bool = False
    """Read files with more than one hard link (one may be a file outside)."""
    max_file_bytes: int | None = Field(default=None, gt=0)
    """Largest local file read, checked before any read; `None`: the model's
    per-video limit (150 MB turbo, 256 MB flash). Raise it to cut larger files
    (preparing streams them, so memory stays flat; CPU time grows with length)."""

    def _options(self) -> _Options:
        return _Options(
            self.llm,
            tuple(self.allowed_dirs),
            self.max_concurrency,
            self.strategy,
            allow_hardlinks=self.allow_hardlinks,
            max_file_bytes=self.max_file_bytes,
        )

    def _run(
        self,
        video: str,
        question: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> tuple[str, VideoDescription]:
        request = DescribeVideoInput(
            video=video, question=question, start=start, end=end
        )
        with _as_tool_errors():
            result = _describe(self._options(), request, ensure_config())
        return result.answer, result

    async def _arun(
        self,
        video: str,
        question: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> tuple[str, VideoDescription]:
        request = DescribeVideoInput(
            video=video, question=question, start=start, end=end
        )
        with _as_tool_errors():
            result = await _adescribe(self._options(), request, ensure_config())
        return result.answer, result


@contextlib.contextmanager
def _as_tool_errors() -> Iterator[None]:
    """Re-raise what an agent can act on as `ToolException` (see handle_tool_error)."""
    try:
        yield
    except OmniInputError as exc:
        raise ToolException(str(exc)) from exc


def create_video_describer(  # noqa: PLR0913  # the tool's settings, one by one
    llm: ChatQwenOmni,
    *,
    allowed_dirs: Sequence[str | Path] = (),
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    strategy: Strategy = "auto",
    allow_hardlinks: bool = False,
    max_file_bytes: int | None = None,
) -> Runnable[dict[str, Any] | str, VideoDescription]:
    """A runnable for chains: `{"video": ..., "question": ...}` -> `VideoDescription`.

    Takes the same keys as the tool (`video`, optional `question`, `start`,
    `end`), or just the video as a string, and the same settings (see
    `DescribeVideoTool`). Batchable (`batch`/`abatch`,
    bounded by the config's `max_concurrency`), streamable as one result,
    and reports progress like the tool. Errors raise `OmniInputError`.

    Example:
        ```python
        describer = create_video_describer(llm, allowed_dirs=["./videos"])
        result = describer.invoke({"video": "talk.mp4", "question": "Who speaks?"})
        print(result.answer)
        ```
    """
    if max_concurrency < 1:
        msg = f"max_concurrency must be at least 1, got {max_concurrency}."
        raise ValueError(msg)
    if max_file_bytes is not None and max_file_bytes < 1:
        msg = f"max_file_bytes must be positive, got {max_file_bytes}."
        raise ValueError(msg)
    options = _Options(
        llm,
        tuple(Path(p) for p in allowed_dirs),
        max_concurrency,
        strategy,
        allow_hardlinks=allow_hardlinks,
        max_file_bytes=max_file_bytes,
    )

    def describe(
        value: dict[str, Any] | str, config: RunnableConfig
    ) -> VideoDescription:
        return _describe(options, _request(value), config)

    async def adescribe(
        value: dict[str, Any] | str, config: RunnableConfig
    ) -> VideoDescription:
        return await _adescribe(options, _request(value), config)

    return RunnableLambda(describe, afunc=adescribe, name="describe_video")


def _request(value: dict[str, Any] | str) -> DescribeVideoInput:
    if isinstance(value, str):
        return DescribeVideoInput(video=value)
    return DescribeVideoInput.model_validate(value)
