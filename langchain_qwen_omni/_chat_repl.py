"""The interactive `qwen-omni chat`: a conversation at the terminal.

Each line typed is a user turn, sent with the whole history; lines starting
with `/` are commands (`/help` lists them). Answers stream to stdout; notes,
errors and reasoning go to stderr. Spoken answers play as they stream when
an output device can be opened (the `playback` extra), and are saved per
turn with `--audio-dir`. A failed turn prints one line and the conversation
goes on: what was already shown of an answer is kept in the history.
"""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_qwen_omni._chat_history import (
    KINDS,
    Conversation,
    Kind,
    Turn,
    load_conversation,
    save_conversation,
)
from langchain_qwen_omni._echo import echo_answer, hear

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from rich.console import Console

    from langchain_qwen_omni.audio import OmniAudio
    from langchain_qwen_omni.chat_models import ChatQwenOmni
    from langchain_qwen_omni.playback import AudioDevice

__all__ = ["HELP", "ChatRepl", "input_lines"]

HELP = """\
Type a message and press Enter. Commands:
  /image PATH|URL   attach an image to your next message
  /audio PATH|URL   attach a sound file
  /video PATH|URL   attach a video
  /save FILE        save the conversation as JSON, its media in FILE's .media folder
  /load FILE        continue a saved conversation
  /clear            start over (the system message stays)
  /help             this list
  /exit             leave (Ctrl+D does too)"""

_PROMPT = "you> "
_HELPER_HINT = re.compile(r"use (image|audio|video)_block\(\) for it")


def input_lines(prompt: str = _PROMPT) -> Iterator[str]:
    """Lines typed at a terminal (with line editing), or read from a pipe.

    The prompt is shown only at a terminal, so piped output holds answers only.
    """
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    with contextlib.suppress(ImportError):  # no readline on Windows
        import readline  # noqa: F401, PLC0415  # line editing and history for input()
    while (line := _typed(prompt)) is not None:
        yield line
    sys.stdout.write("\n")


def _typed(prompt: str) -> str | None:
    """One line typed at the terminal; None at Ctrl+D."""
    try:
        return input(prompt)
    except EOFError:
        return None


class ChatRepl:
    """Reads lines, runs commands, and holds the conversation with the model."""

    def __init__(  # noqa: PLR0913  # the session's settings, all keyword-only
        self,
        llm: ChatQwenOmni,
        *,
        console: Console,
        describe_error: Callable[[BaseException], str],
        expected_errors: tuple[type[BaseException], ...],
        conversation: Conversation | None = None,
        speak: bool = False,
        player: AudioDevice | None = None,
        audio_dir: Path | None = None,
    ) -> None:
        """Set up a session; nothing is sent until the first line.

        Args:
            llm: The model, asked for speech when `speak` is set.
            console: The stderr console for notes and errors.
            describe_error: Says in one line what went wrong.
            expected_errors: Errors reported as a line; others propagate.
            conversation: Where to start (e.g. with a system message).
            speak: Whether answers are spoken.
            player: Where speech plays; None plays nothing.
            audio_dir: Where each spoken answer is saved, if anywhere.
        """
        self.llm = llm
        self.conversation = conversation or Conversation()
        self._console = console
        self._describe = describe_error
        self._expected = expected_errors
        self._speak = speak
        self._player = player
        self._audio_dir = audio_dir
        self._commands: dict[str, Callable[[str], bool]] = {
            "/save": self._save,
            "/load": self._load,
            "/clear": self._clear,
            "/help": self._help,
            "/exit": self._exit,
            "/quit": self._exit,
        }

    # ----------------------------------------------------------- the loop
    def run(self, lines: Iterable[str]) -> None:
        """Handle lines until `/exit`, the end of input, or Ctrl+C at the prompt."""
        try:
            for line in lines:
                if not self.handle(line):
                    return
        except KeyboardInterrupt:
            sys.stdout.write("\n")

    def handle(self, line: str) -> bool:
        """Handle one line; False once the session should end."""
        text = line.strip()
        if not text:
            return True
        if not text.startswith("/"):
            self._turn(text)
            return True
        name, _, argument = text.partition(" ")
        name = name.lower()
        argument = _unquoted(argument.strip())
        if name.removeprefix("/") in KINDS:
            return self._attach(name, argument)
        command = self._commands.get(name)
        if command is None:
            self._note(f"Unknown command {name}: /help lists the commands.")
            return True
        return command(argument)

    # -------------------------------------------------------------- turns
    def _turn(self, text: str) -> None:
        """Send a user turn with the history; show, play and keep the answer."""
        turn = self.conversation.ask(text)
        received: list[str] = []
        try:
            messages = self.conversation.messages()
            shown = echo_answer(self.llm.stream(messages), self._console, received)
            speech = hear(shown, spoken=self._speak, player=self._player)
        except KeyboardInterrupt:
            self._note("Stopped.")
            self._keep_partial(turn, received)
            return
        except self._expected as exc:
            self._error(exc)
            self._keep_partial(turn, received)
            return
        answer = self.conversation.answer("".join(received), speech)
        if speech is not None and speech.pcm and self._audio_dir is not None:
            self._save_speech(answer, speech, self._audio_dir)

    def _keep_partial(self, turn: Turn, received: list[str]) -> None:
        """Keep what was shown of a broken answer; otherwise take the turn back."""
        if received:
            self.conversation.answer("".join(received))
            self._note("The answer so far stays in the conversation.")
            return
        self.conversation.withdraw(turn)
        again = " (its attachments too: attach them again)" if turn.attachments else ""
        self._note(f"Your message was not sent{again}.")

    def _save_speech(self, turn: Turn, speech: OmniAudio, folder: Path) -> None:
        """Save a spoken answer in `folder`; the turn then holds the file, not PCM."""
        number = sum(1 for t in self.conversation.turns if t.role == "assistant")
        target = folder / f"answer-{number:03d}.wav"
        while target.exists():
            number += 1
            target = folder / f"answer-{number:03d}.wav"
        try:
            speech.save(target)
        except self._expected as exc:
            self._error(exc)
            return
        turn.speech_file = target
        turn.speech = None  # on disk now: /save copies the file
        self._note(f"Saved {speech.duration:.2f} s of speech to {target}")

    # ----------------------------------------------------------- commands
    def _attach(self, name: str, argument: str) -> bool:
        if not argument:
            self._note(f"Usage: {name} PATH or URL")
            return True
        kind: Kind = name.removeprefix("/")  # type: ignore[assignment]  # in KINDS
        try:
            self.conversation.attach(kind, argument, where=name)
        except self._expected as exc:
            # The helpers' hint names the Python function; here it is a command.
            self._error(exc, _HELPER_HINT.sub(r"attach it with /\1", str(exc)))
            return True
        count = len(self.conversation.pending)
        what = "it goes" if count == 1 else f"these {count} go"
        self._note(f"Attached {kind} {argument}; {what} with your next message.")
        return True

    def _save(self, argument: str) -> bool:
        if not argument:
            self._note("Usage: /save FILE (e.g. /save trip.json)")
            return True
        path = Path(argument).expanduser()
        try:
            media = save_conversation(self.conversation, path)
        except self._expected as exc:
            self._error(exc)
            return True
        turns = len(self.conversation.turns)
        beside = f", media in {media}" if media.is_dir() else ""
        self._note(f"Saved {turns} turns to {path}{beside}.")
        return True

    def _load(self, argument: str) -> bool:
        if not argument:
            self._note("Usage: /load FILE")
            return True
        try:
            loaded = load_conversation(Path(argument).expanduser())
        except self._expected as exc:
            self._error(exc)
            return True
        self.conversation = loaded
        self._note(f"Loaded {len(loaded.turns)} turns from {argument}; go on.")
        return True

    def _clear(self, argument: str) -> bool:
        del argument
        self.conversation.clear()
        self._note("Cleared: a new conversation.")
        return True

    def _help(self, argument: str) -> bool:
        del argument
        self._console.print(HELP, markup=False, highlight=False)
        return True

    def _exit(self, argument: str) -> bool:
        del argument
        return False

    # ------------------------------------------------------------- output
    def _note(self, text: str) -> None:
        self._console.print(text, style="dim", markup=False, highlight=False)

    def _error(self, exc: BaseException, text: str | None = None) -> None:
        from rich.markup import escape  # noqa: PLC0415

        line = escape(text or self._describe(exc))
        self._console.print(f"[bold red]Error:[/] {line}")


def _unquoted(text: str) -> str:
    """A path typed with surrounding quotes (as shells and file managers paste it)."""
    quotes = ("'", '"')
    if len(text) >= 2 and text[0] == text[-1] and text[0] in quotes:  # noqa: PLR2004
        return text[1:-1]
    return text
