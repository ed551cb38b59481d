"""The `qwen-omni` command line: chat, describe videos, talk, run the emulator, demo.

Typer and Rich come with the `cli` extra. Everything heavier is imported
inside the command that needs it, so `qwen-omni --help` stays quick.

Exit codes follow Click: 0 on success, 2 for usage errors (a bad option or
value), and 1 for API and input errors, which print as one readable line on
stderr (`--debug` shows the traceback instead).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.messages import BaseMessage
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from langchain_qwen_omni._chat_history import Conversation, Kind
    from langchain_qwen_omni.chat_models import ChatQwenOmni
    from langchain_qwen_omni.emulator import OmniEmulator
    from langchain_qwen_omni.playback import AudioDevice

__all__ = [
    "app",
    "describe_error",
    "lift_global_options",
    "main",
    "mask_url_credentials",
]

_GLOBAL_FLAGS = frozenset({"--emulator", "--debug"})
_GLOBAL_VALUED = ("--base-url", "--region")


def lift_global_options(args: list[str]) -> list[str]:
    """Move the global options to the front, wherever they were typed.

    Click reads a group's options only before the command name, yet
    `qwen-omni chat "Hi" --emulator` is the natural way to type it. Arguments
    after `--` are left alone, so a prompt can still be `--emulator`.

    Args:
        args: The command-line arguments after the program name.

    Returns:
        The same arguments, global options (with their values) first.
    """
    lifted: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            rest.extend(args[position:])
            break
        if arg in _GLOBAL_FLAGS or arg.startswith(
            tuple(f"{name}=" for name in _GLOBAL_VALUED)
        ):
            lifted.append(arg)
        elif arg in _GLOBAL_VALUED and position + 1 < len(args):
            lifted.extend(args[position : position + 2])
            position += 1
        else:
            rest.append(arg)
        position += 1
    return lifted + rest


class _GlobalOptionsGroup(TyperGroup):
    """The root group, accepting global options after the command name too."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Lift the global options, then parse as usual.

        `ctx` is typed loosely because Typer's base class takes the Context of
        the Click it vendors, whose module is private.
        """
        return super().parse_args(ctx, lift_global_options(args))


app = typer.Typer(
    name="qwen-omni",
    cls=_GlobalOptionsGroup,
    help="Qwen-Omni from the terminal: chat with media, spoken answers, video "
    "descriptions, and an offline emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Region = Literal["intl", "cn", "us", "hk"]
Strategy = Literal["auto", "segments", "frames"]
TranscriptMode = Literal["content", "transcript", "mixed"]
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
EmulatedDialect = Literal["dashscope", "vllm-omni"]

ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model name.", show_default=False),
]
"""`--model` of a command that talks to a chat model (the root's applies otherwise)."""
VoiceOption = Annotated[
    str | None, typer.Option(help="Voice of the spoken answers.", show_default=False)
]

MISSING_KEY = (
    "No DashScope API key: set one with `export DASHSCOPE_API_KEY=sk-...` "
    "(keys are per region, see --region), or try --emulator to run offline."
)

_BAD_REQUEST = 400
_SERVER_ERROR = 500
# What each HTTP status from the API means and what to do; the README's
# troubleshooting table says the same at more length.
_STATUS_HINTS: dict[int, str] = {
    400: "the request was refused as invalid; fix the input or option it names",
    401: "the key is invalid or belongs to another region; check "
    "DASHSCOPE_API_KEY and --region/--base-url",
    403: "the key may not use this model, or its free quota is used up with "
    '"free tier only" on; check the model and the key\'s quota in Model Studio',
    404: "no such model or endpoint; check --model and --base-url",
    429: "rate limit or quota reached; wait a little and retry",
    500: "the service failed; retry in a moment",
}


# --------------------------------------------------------------- settings
@dataclasses.dataclass
class _Target:
    """Where commands send requests: the API, or an emulator started on demand."""

    use_emulator: bool = False
    base_url: str | None = None
    region: Region | None = None
    model: str | None = None
    debug: bool = False
    _emulator: OmniEmulator | None = None

    def connection(self, ctx: typer.Context) -> dict[str, Any]:
        """The client's connection arguments, checking the key first.

        With `--emulator`, the emulator's URL (starting it if needed);
        otherwise `base_url` and `region` as given, the key from the environment.

        Raises:
            _CommandError: When no key is set and `--emulator` was not given.
        """
        if self.use_emulator:
            emulator = self.start_emulator(ctx)
            return {"base_url": emulator.base_url, "api_key": "emulator"}
        if not os.environ.get("DASHSCOPE_API_KEY"):
            raise _CommandError(MISSING_KEY)
        return {"base_url": self.base_url, "region": self.region}

    def chat_model(self, ctx: typer.Context, **fields: Any) -> ChatQwenOmni:
        """Build the chat model for a command, checking the key first.

        Raises:
            _CommandError: When no key is set and `--emulator` was not given.
        """
        from langchain_qwen_omni.chat_models import ChatQwenOmni  # noqa: PLC0415

        if self.model and "model" not in fields:
            fields["model"] = self.model
        return ChatQwenOmni(**self.connection(ctx), **fields)

    def start_emulator(self, ctx: typer.Context) -> OmniEmulator:
        """Start the in-process emulator once; it stops when the command ends."""
        if self._emulator is None:
            from langchain_qwen_omni.emulator import OmniEmulator  # noqa: PLC0415

            self._emulator = OmniEmulator().start()
            ctx.call_on_close(self._emulator.stop)
        return self._emulator


class _CommandError(Exception):
    """An expected failure whose message is already written for the user."""


def _target(ctx: typer.Context) -> _Target:
    target = ctx.find_object(_Target)
    return target if target is not None else _Target()


def _stderr() -> Console:
    from rich.console import Console  # noqa: PLC0415  # keep --help quick

    return Console(stderr=True, highlight=False, soft_wrap=True)


# ----------------------------------------------------------------- errors
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#]*@")
"""The `user:password@` part of a URL (up to its last `@` before the host)."""


def mask_url_credentials(text: str) -> str:
    """Hide credentials embedded in URLs: `https://u:p@host/` -> `https://***@host/`.

    Args:
        text: Any text the command line is about to print.

    Returns:
        The text, with the user and password of every URL in it masked.
    """
    return _URL_USERINFO.sub(r"\1***@", text)


def _mask_exception(exc: BaseException) -> None:
    """Mask URL credentials in an error and its causes, before a traceback."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        with contextlib.suppress(AttributeError, TypeError):
            current.args = tuple(
                mask_url_credentials(arg) if isinstance(arg, str) else arg
                for arg in current.args
            )
        message = getattr(current, "message", None)
        if isinstance(message, str):
            with contextlib.suppress(AttributeError, TypeError):
                current.message = mask_url_credentials(message)  # type: ignore[attr-defined]
        current = current.__cause__ or current.__context__


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad input, bad configuration or an API refusal."""
    import openai  # noqa: PLC0415

    from langchain_qwen_omni.errors import QwenOmniError  # noqa: PLC0415

    return (
        _CommandError,
        QwenOmniError,
        openai.APIError,
        OSError,
        ValueError,
        ImportError,
    )


def describe_error(exc: BaseException) -> str:
    """Say in one line what went wrong and, where known, what to do about it.

    Args:
        exc: An error raised while running a command.

    Returns:
        A single line, without a traceback, for the terminal.
    """
    import openai  # noqa: PLC0415
    import pydantic  # noqa: PLC0415

    text: str
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = body.get("message") or exc.message
        code = f" {exc.code}" if exc.code else ""
        hint = _STATUS_HINTS.get(exc.status_code) or _STATUS_HINTS.get(
            _SERVER_ERROR if exc.status_code >= _SERVER_ERROR else _BAD_REQUEST, ""
        )
        text = f"The API answered HTTP {exc.status_code}{code}: {message} ({hint})."
    elif isinstance(exc, openai.APIConnectionError):
        where = exc.request.url.copy_with(path="/", query=None)
        text = (
            f"Cannot reach the API at {where} ({exc.message}); check the network, "
            "--region and --base-url, or try --emulator."
        )
    elif isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "value"
        text = f"Invalid {field}: {first['msg']}."
    elif isinstance(exc, FileNotFoundError):
        text = f"No such file: {exc.filename}."
    elif isinstance(exc, ImportError) and exc.name:
        text = f"{exc}. Install the extras: pip install 'langchain-qwen-omni[all]'."
    else:
        text = str(exc) or type(exc).__name__
    return mask_url_credentials(" ".join(text.split()))


@contextlib.contextmanager
def _reported(ctx: typer.Context) -> Iterator[None]:
    """Turn expected errors into one line on stderr and exit code 1."""
    try:
        yield
    except _expected_errors() as exc:
        if _target(ctx).debug:
            _mask_exception(exc)
            raise
        _stderr().print(f"[bold red]Error:[/] {_escape(describe_error(exc))}")
        raise typer.Exit(1) from None


def _escape(text: str) -> str:
    from rich.markup import escape  # noqa: PLC0415

    return escape(text)


# ------------------------------------------------------------------- root
@app.callback()
def _root(  # noqa: PLR0913  # one parameter per documented option
    ctx: typer.Context,
    *,
    emulator: Annotated[
        bool,
        typer.Option(
            "--emulator",
            help="Run against an in-process emulator of the API (offline, no key; "
            "its answers describe the request, they are not a model's).",
        ),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API endpoint, e.g. a workspace URL (default: DASHSCOPE_BASE_URL "
            "or DASHSCOPE_API_BASE from the environment, else Singapore).",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        Region | None,
        typer.Option(
            "--region",
            help="Documented endpoint of a region; the key must be from it.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Model name (default: qwen3-omni-flash).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of errors.")
    ] = False,
) -> None:
    """Qwen-Omni from the terminal.

    The key comes from DASHSCOPE_API_KEY; --emulator needs none. The options
    above may also follow the command: `qwen-omni chat "Hi" --emulator`.
    """
    ctx.obj = _Target(
        use_emulator=emulator,
        base_url=base_url,
        region=region,
        model=model,
        debug=debug,
    )


# ------------------------------------------------------------------- chat
def _check_speech_target(audio: Path | None, voice: str | None) -> None:
    """Refuse speech options that cannot work before spending a request.

    Raises:
        typer.BadParameter: For a suffix no writer supports, a folder that
            does not exist, or a voice without `--audio`.
    """
    if voice is not None and audio is None:
        msg = "a voice needs speech: add --audio OUT.wav"
        raise typer.BadParameter(msg, param_hint="--voice")
    from langchain_qwen_omni.audio import SPEECH_FILE_SUFFIXES  # noqa: PLC0415

    if audio is not None and audio.suffix.lower() not in SPEECH_FILE_SUFFIXES:
        msg = f"{audio.name!r}: use one of {', '.join(SPEECH_FILE_SUFFIXES)}"
        raise typer.BadParameter(msg, param_hint="--audio")
    if audio is not None and not audio.parent.is_dir():
        msg = (
            f"the folder {audio.parent} does not exist: create it "
            f"(mkdir -p {audio.parent}) or save elsewhere"
        )
        raise typer.BadParameter(msg, param_hint="--audio")


def _player(console: Console, *, saving: bool) -> AudioDevice | None:
    """The output device for live speech, or None after a one-line hint."""
    from langchain_qwen_omni.playback import probe_output  # noqa: PLC0415

    try:
        return probe_output()
    except (ImportError, OSError) as exc:  # no extra, no PortAudio, no device
        reason = " ".join(str(exc).split())
    kept = "" if saving else " Keep it with --audio-dir DIR (or --audio OUT.wav)."
    console.print(f"Speech is not played: {reason}{kept}", style="dim", markup=False)
    return None


def _converse(
    llm: ChatQwenOmni,
    conversation: Conversation,
    *,
    first: str | None,
    speak: bool,
    audio_dir: Path | None,
) -> None:
    """Hold an interactive conversation on stdin until /exit or end of input."""
    from langchain_qwen_omni._chat_repl import ChatRepl, input_lines  # noqa: PLC0415

    console = _stderr()
    if audio_dir is not None and not audio_dir.is_dir():
        audio_dir.mkdir(parents=True)
        console.print(f"Created {_escape(str(audio_dir))} for the spoken answers.")
    repl = ChatRepl(
        llm,
        console=console,
        describe_error=describe_error,
        expected_errors=_expected_errors(),
        conversation=conversation,
        speak=speak,
        player=_player(console, saving=audio_dir is not None) if speak else None,
        audio_dir=audio_dir,
    )
    spoken = ", spoken answers" if speak else ""
    console.print(
        f"Chatting with {_escape(llm.model)}{spoken}. /help lists the commands; "
        "/exit or Ctrl+D leaves.",
        style="dim",
    )
    lines = input_lines()
    repl.run(itertools.chain([first], lines) if first else lines)


def _check_mode_options(
    audio: Path | None, audio_dir: Path | None, *, conversation: bool
) -> None:
    """Refuse the options of one mode given to the other, saying which to use.

    Raises:
        typer.BadParameter: For `--audio` in a conversation, `--audio-dir`
            for a single answer.
    """
    if conversation and audio is not None:
        msg = "a conversation saves each spoken answer: use --audio-dir DIR"
        raise typer.BadParameter(msg, param_hint="--audio")
    if not conversation and audio_dir is not None:
        msg = "for a single answer use --audio OUT.wav (or leave out the prompt)"
        raise typer.BadParameter(msg, param_hint="--audio-dir")


@app.command()
def chat(  # noqa: PLR0913  # one parameter per documented option
    ctx: typer.Context,
    *,
    prompt: Annotated[
        str | None,
        typer.Argument(
            help="What to ask. Leave it out for a conversation.", show_default=False
        ),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Hold a conversation (the default without a prompt); a prompt "
            "becomes its first message.",
        ),
    ] = False,
    system: Annotated[
        str | None,
        typer.Option(
            help="System message: how the model should answer.", show_default=False
        ),
    ] = None,
    image: Annotated[
        list[str] | None,
        typer.Option(help="Image path or URL; repeat for several.", show_default=False),
    ] = None,
    audio_in: Annotated[
        str | None,
        typer.Option(help="Audio path or URL to ask about.", show_default=False),
    ] = None,
    video: Annotated[
        str | None,
        typer.Option(help="Video path or URL to ask about.", show_default=False),
    ] = None,
    model: ModelOption = None,
    voice: VoiceOption = None,
    audio: Annotated[
        Path | None,
        typer.Option(
            "--audio",
            help="Request speech and save it here (.wav, .flac, .ogg, .mp3, .pcm).",
            show_default=False,
        ),
    ] = None,
    audio_dir: Annotated[
        Path | None,
        typer.Option(
            "--audio-dir",
            help="In a conversation: speak, and save each spoken answer here "
            "(created if missing).",
            show_default=False,
        ),
    ] = None,
    speak: Annotated[
        bool,
        typer.Option(
            "--speak",
            help="Spoken answers, played as they stream (needs the playback extra "
            "and a sound device). --voice and --audio-dir imply it in a conversation.",
        ),
    ] = False,
    stream: Annotated[
        bool, typer.Option(help="Print the answer as it arrives.")
    ] = True,
    thinking: Annotated[
        bool, typer.Option(help="Thinking mode (flash models; text answers only).")
    ] = False,
) -> None:
    """Ask about text, an image, audio or video, or hold a conversation.

    With a prompt: one answer. With --audio OUT.wav the answer is spoken too:
    the speech is saved and its duration printed; --speak plays it.

    Without a prompt (or with -i): a conversation with history. Type
    messages; /image, /audio and /video PATH attach media to the next one,
    /save and /load FILE keep it, /clear, /help, /exit.
    """
    conversation = interactive or prompt is None
    _check_mode_options(audio, audio_dir, conversation=conversation)
    speak = speak or (conversation and (voice is not None or audio_dir is not None))
    _check_speech_target(audio, voice if not speak else None)
    fields: dict[str, Any] = {}
    if model:
        fields["model"] = model
    if audio is not None or speak:
        fields["modalities"] = ["text", "audio"]
    if voice:
        fields["voice"] = voice
    if thinking:
        fields["enable_thinking"] = True
    media: list[tuple[str, Kind, str]] = [("--image", "image", i) for i in image or []]
    media += [("--audio-in", "audio", audio_in)] if audio_in else []
    media += [("--video", "video", video)] if video else []
    with _reported(ctx):
        from langchain_qwen_omni._chat_history import Conversation  # noqa: PLC0415

        llm = _target(ctx).chat_model(ctx, **fields)
        history = Conversation(system=system)
        for option, kind, source in media:  # the first message's
            history.attach(kind, source, where=option)
        if conversation:
            _converse(llm, history, first=prompt, speak=speak, audio_dir=audio_dir)
            return
        history.ask(prompt or "")
        _answer_once(llm, history.messages(), audio=audio, speak=speak, stream=stream)


def _answer_once(
    llm: ChatQwenOmni,
    messages: list[BaseMessage],
    *,
    audio: Path | None,
    speak: bool,
    stream: bool,
) -> None:
    """Print one answer; play its speech with `speak`, save it to `audio`."""
    from langchain_qwen_omni._echo import echo_answer, hear  # noqa: PLC0415
    from langchain_qwen_omni.audio import OmniAudio  # noqa: PLC0415

    console = _stderr()
    player = _player(console, saving=audio is not None) if speak else None
    spoken = audio is not None or speak
    speech: OmniAudio | None
    if stream:
        shown = echo_answer(llm.stream(messages), console)
        speech = hear(shown, spoken=spoken, player=player)
    else:
        answer = llm.invoke(messages)
        list(echo_answer([answer], console))  # prints it
        speech = OmniAudio.from_message(answer) if spoken else None
        if speech is not None and player is not None:
            speech.play(device=player)
    if speech is not None and audio is not None:
        speech.save(audio)
        console.print(
            f"Saved {speech.duration:.2f} s of speech "
            f"({speech.sample_rate} Hz, mono) to {_escape(str(audio))}"
        )


# --------------------------------------------------------------- describe
def _jsonable(value: object) -> object:
    """Make a result JSON-ready; speech becomes its summary, not its samples."""
    from langchain_qwen_omni.audio import OmniAudio  # noqa: PLC0415

    if isinstance(value, OmniAudio):
        return {
            "duration": round(value.duration, 3),
            "sample_rate": value.sample_rate,
            "channels": value.channels,
            "transcript": value.transcript,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _jsonable(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _clock(seconds: float | None) -> str:
    """Seconds as mm:ss; `None` (the end of a URL video) as "end"."""
    if seconds is None:
        return "end"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def _progress_callback(progress: Progress, task: TaskID) -> BaseCallbackHandler:
    """A callback handler that moves the bar on the video tool's progress events."""
    from langchain_core.callbacks import BaseCallbackHandler  # noqa: PLC0415

    from langchain_qwen_omni.tools import PROGRESS_EVENT  # noqa: PLC0415

    class SegmentProgress(BaseCallbackHandler):
        def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
            del kwargs
            if name != PROGRESS_EVENT:
                return
            span = f"{_clock(data['start'])}-{_clock(data.get('end'))}"
            finished = data["done"] == data["total"]
            progress.update(
                task,
                total=data["total"],
                completed=data["done"],
                description="Described the video" if finished else f"Described {span}",
            )

    return SegmentProgress()


@app.command()
def describe(  # noqa: PLR0913  # one parameter per documented option
    ctx: typer.Context,
    *,
    video: Annotated[str, typer.Argument(help="Video file path or http(s) URL.")],
    question: Annotated[
        str | None,
        typer.Option("--question", "-q", help="What to ask about the video."),
    ] = None,
    strategy: Annotated[
        Strategy,
        typer.Option(help="For videos the model cannot take whole: cut or sample."),
    ] = "auto",
    concurrency: Annotated[
        int,
        typer.Option(min=1, help="Most parts described at the same time."),
    ] = 4,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole result as JSON.")
    ] = False,
    model: ModelOption = None,
) -> None:
    """Describe a video, or answer a question about it, however long it is.

    Videos longer or larger than the model takes are cut into segments (or
    sampled into frames), described concurrently, and merged into one answer
    with timestamps; a progress bar counts the parts.
    """
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from langchain_qwen_omni._chat_history import checked_source, is_url  # noqa: PLC0415
    from langchain_qwen_omni.tools import create_video_describer  # noqa: PLC0415

    with _reported(ctx):
        source = checked_source("VIDEO", video)
        folders = [] if is_url(source) else [Path(source).parent]
        llm = _target(ctx).chat_model(ctx, **({"model": model} if model else {}))
        describer = create_video_describer(
            llm, allowed_dirs=folders, max_concurrency=concurrency, strategy=strategy
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("parts"),
            TimeElapsedColumn(),
            console=_stderr(),
        ) as progress:
            task = progress.add_task("Preparing the video", total=None)
            result = describer.invoke(
                {"video": source, "question": question},
                config={"callbacks": [_progress_callback(progress, task)]},
            )
    if as_json:
        sys.stdout.write(json.dumps(_jsonable(result), indent=2) + "\n")
    else:
        sys.stdout.write(result.answer + "\n")


# --------------------------------------------------------------- emulator
@app.command()
def emulator(  # noqa: PLR0913  # the options of `python -m langchain_qwen_omni.emulator`
    ctx: typer.Context,
    *,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port; 0 picks a free one.")
    ] = 8000,
    transcript_mode: Annotated[
        TranscriptMode,
        typer.Option(
            help="Where a spoken answer's text goes: delta.content, "
            "delta.audio.transcript (as older turbo models send it), or mixed "
            "(pieces take turns between the two)."
        ),
    ] = "content",
    unpadded_audio: Annotated[
        bool,
        typer.Option(help="Send audio pieces' base64 without '=' padding."),
    ] = False,
    answer: Annotated[
        str | None,
        typer.Option(
            help="A fixed answer text (default: describe the request).",
            show_default=False,
        ),
    ] = None,
    chunk_delay: Annotated[
        float, typer.Option(min=0.0, help="Seconds between streamed events.")
    ] = 0.0,
    text_pieces: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Split the answer text into this many deltas (default: one per word).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        LogLevel, typer.Option(help="How much the server logs.")
    ] = "info",
    dialect: Annotated[
        EmulatedDialect,
        typer.Option(
            help="Whose server to play: DashScope's compatible mode, or a "
            "self-hosted vLLM-Omni server (base URL .../v1)."
        ),
    ] = "dashscope",
) -> None:
    """Run the Omni API emulator in the foreground until Ctrl+C.

    A test double, not a model: it enforces the API's rules and streams
    answers that describe what it received, with synthetic speech. Its
    options are those of `python -m langchain_qwen_omni.emulator`.
    """
    from langchain_qwen_omni.emulator.server import serve  # noqa: PLC0415

    with _reported(ctx):
        try:
            serve(
                host,
                port,
                log_level=log_level,
                transcript_mode=transcript_mode,
                unpadded_audio=unpadded_audio,
                answer=answer,
                chunk_delay=chunk_delay,
                text_pieces=text_pieces,
                dialect=dialect,
            )
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            msg = (
                f"Port {port} on {host} is already in use (another emulator?): "
                "pick a free one with --port, or --port 0 for any."
            )
            raise _CommandError(msg) from None


# ------------------------------------------------------------------- talk
@app.command()
def talk(  # noqa: PLR0913  # one parameter per documented option
    ctx: typer.Context,
    *,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            help="A sound file holding the question (default: the microphone, "
            "with the playback extra).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Save the answers' speech here (.wav, .flac, .ogg, .mp3, .pcm) "
            "instead of playing it.",
            show_default=False,
        ),
    ] = None,
    fast: Annotated[
        bool,
        typer.Option(
            help="Stream the file as fast as possible, not at real-time pace."
        ),
    ] = False,
    voice: VoiceOption = None,
    instructions: Annotated[
        str | None,
        typer.Option(help="System prompt of the session.", show_default=False),
    ] = None,
    turns: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Stop after this many answers (default: 1 with --input, else Ctrl+C).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Realtime model (default: qwen3.5-omni-plus-realtime).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Talk with a realtime model: transcripts print live, the answer plays or saves.

    Uses Qwen-Omni-Realtime (default qwen3.5-omni-plus-realtime; --model picks
    another realtime model). With --emulator and --fast, the emulator answers
    at full speed too.
    """
    from langchain_qwen_omni._chat_history import checked_source  # noqa: PLC0415
    from langchain_qwen_omni.audio import SPEECH_FILE_SUFFIXES  # noqa: PLC0415
    from langchain_qwen_omni.talk import TalkSettings, run_talk  # noqa: PLC0415

    if output is not None and output.suffix.lower() not in SPEECH_FILE_SUFFIXES:
        msg = f"{output.name!r}: use one of {', '.join(SPEECH_FILE_SUFFIXES)}"
        raise typer.BadParameter(msg, param_hint="--output")
    target = _target(ctx)
    with _reported(ctx):
        if input_file is not None:
            input_file = Path(checked_source("--input", str(input_file)))
        connection = target.connection(ctx)
        if target.use_emulator:
            emulator = target.start_emulator(ctx)  # the one connection() started
            emulator.realtime.options.speed = 0.0 if fast else 1.0
        settings = TalkSettings(
            input=input_file,
            output=output,
            fast=fast,
            model=model or target.model,
            voice=voice,
            instructions=instructions,
            turns=turns,
        )
        run_talk(settings, connection)


# ------------------------------------------------------------------- demo
@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to save the speech.")
    ] = Path("demo-output/omni-demo.wav"),
) -> None:
    """Stream a spoken answer from the bundled emulator and save it as WAV."""
    from langchain_qwen_omni.demo import run_demo  # noqa: PLC0415  # keep --help fast

    run_demo(output, echo=lambda text: typer.echo(text, nl=False))


def main() -> None:
    """Console-script entry point."""
    app()
