"""The conversation of `qwen-omni chat`: turns, attachments, and its file on disk.

A saved conversation is one JSON file with its media beside it, in a folder
named after the file (`trip.json` and `trip.media/`): the attached images,
audio and videos, and the spoken answers as WAV. Loading accepts media only
from inside the JSON file's folder, so a conversation shared by someone else
cannot make this machine send its other files to the API.

Media typed at the command line (`--image`, `/audio`, `describe VIDEO`,
`talk --input`) are checked by `checked_source`, which names the option in
its error; attachments become content blocks through the package's helpers
in `langchain_qwen_omni.media`, for one answer and a conversation alike.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from langchain_qwen_omni.audio import OmniAudio

__all__ = [
    "FILE_FORMAT",
    "Attachment",
    "Conversation",
    "Turn",
    "checked_source",
    "is_url",
    "load_conversation",
    "media_folder",
    "save_conversation",
]

Kind = Literal["image", "audio", "video"]
KINDS: tuple[Kind, ...] = ("image", "audio", "video")
FILE_FORMAT = "qwen-omni-chat"
_VERSION = 1
_URL_PREFIXES = ("http://", "https://", "data:")


def is_url(source: str) -> bool:
    """Whether a typed source is a URL (passed on as is) rather than a local path."""
    return source.startswith(_URL_PREFIXES)


def checked_source(where: str, value: str) -> str:
    """Check a local media path early, naming where it was typed; URLs pass as given.

    Args:
        where: The option or command that named it (`--image`, `/audio`).
        value: The path or URL, as typed.

    Returns:
        The URL, or the file's absolute path (symlinks resolved), so that
        `media/clip.mp4` means the same wherever it is used next.

    Raises:
        OmniInputError: When the path is not a readable file.
    """
    if is_url(value):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        reason = "is a directory" if path.is_dir() else "no such file"
        msg = f"Cannot read {where} {value}: {reason}."
        raise OmniInputError(msg)
    if not os.access(path, os.R_OK):
        msg = f"Cannot read {where} {value}: permission denied."
        raise OmniInputError(msg)
    return str(path.resolve())  # relative paths mean the working directory


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A medium attached to a user turn: an absolute path or a URL."""

    kind: Kind
    source: str

    @property
    def is_url(self) -> bool:
        """Whether the source is a URL (kept as is) rather than a local file."""
        return is_url(self.source)

    @functools.cached_property
    def block(self) -> dict[str, Any]:
        """The content block, built once by the package's helper for the kind.

        Raises:
            OmniInputError: For a missing file or content of another kind.
        """
        from langchain_qwen_omni.media import (  # noqa: PLC0415  # numpy-free import
            audio_block,
            image_block,
            video_block,
        )

        if self.kind == "image":
            return dict(image_block(self.source))
        if self.kind == "audio":
            return dict(audio_block(self.source))
        return dict(video_block(self.source))


@dataclasses.dataclass
class Turn:
    """One message of the conversation, as the person saw it."""

    role: Literal["user", "assistant"]
    text: str
    attachments: tuple[Attachment, ...] = ()
    speech: OmniAudio | None = None
    """A spoken answer, held in memory until the conversation is saved."""
    speech_file: Path | None = None
    """Where a spoken answer lies on disk (`--audio-dir`, or a loaded file)."""

    def message(self) -> BaseMessage:
        """The LangChain message: the attachments' blocks, then the text."""
        from langchain_core.messages import AIMessage, HumanMessage  # noqa: PLC0415

        if self.role == "assistant":
            return AIMessage(content=self.text)
        if not self.attachments:
            return HumanMessage(content=self.text)
        content: list[str | dict[str, Any]] = [item.block for item in self.attachments]
        if self.text:
            content.append({"type": "text", "text": self.text})
        return HumanMessage(content=content)


@dataclasses.dataclass
class Conversation:
    """The history of an interactive chat and the media waiting for the next turn."""

    system: str | None = None
    turns: list[Turn] = dataclasses.field(default_factory=list)
    pending: list[Attachment] = dataclasses.field(default_factory=list)

    def attach(
        self, kind: Kind, source: str, *, where: str | None = None
    ) -> Attachment:
        """Attach a medium to the next user turn, checking it now.

        Args:
            kind: What the medium is.
            source: A path (relative to the working directory) or a URL.
            where: The option or command that named it, for error messages.

        Raises:
            OmniInputError: For a missing file or content of another kind.
        """
        item = Attachment(kind, checked_source(where or kind, source))
        _ = item.block  # sniffs the file: a wrong kind is refused before any turn
        self.pending.append(item)
        return item

    def ask(self, text: str) -> Turn:
        """Add a user turn holding `text` and the pending attachments."""
        turn = Turn("user", text, tuple(self.pending))
        self.pending.clear()
        self.turns.append(turn)
        return turn

    def answer(self, text: str, speech: OmniAudio | None = None) -> Turn:
        """Add the assistant's answer."""
        turn = Turn("assistant", text, speech=speech)
        self.turns.append(turn)
        return turn

    def withdraw(self, turn: Turn) -> None:
        """Take back a user turn that was never answered."""
        if self.turns and self.turns[-1] is turn:
            self.turns.pop()

    def clear(self) -> None:
        """Forget the turns and pending media; the system message stays."""
        self.turns.clear()
        self.pending.clear()

    def messages(self) -> list[BaseMessage]:
        """The request's messages: the system message, then every turn."""
        from langchain_core.messages import SystemMessage  # noqa: PLC0415

        head: list[BaseMessage] = [SystemMessage(self.system)] if self.system else []
        return head + [turn.message() for turn in self.turns]


# ------------------------------------------------------------------- files
def media_folder(path: Path) -> Path:
    """The folder holding a saved conversation's media: `chat.json` -> `chat.media`."""
    return path.with_name(f"{path.stem}.media")


def save_conversation(conversation: Conversation, path: Path) -> Path:
    """Write the conversation as JSON, its media copied into `media_folder(path)`.

    Returns:
        The media folder (created only if there is media to put in it).

    Raises:
        OmniInputError: When the folder of `path` does not exist.
        OSError: When a file cannot be written or copied.
    """
    if not path.parent.is_dir():
        msg = (
            f"Cannot save the conversation to {path}: the folder "
            f"{path.parent} does not exist. Create it first, or pick another path."
        )
        raise OmniInputError(msg)
    folder = media_folder(path)
    turns = [
        _saved_turn(number, turn, folder, path.parent)
        for number, turn in enumerate(conversation.turns, start=1)
    ]
    document = {
        "format": FILE_FORMAT,
        "version": _VERSION,
        "system": conversation.system,
        "turns": turns,
    }
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    partial.replace(path)  # a failed save never leaves half a file
    return folder


def _saved_turn(number: int, turn: Turn, folder: Path, home: Path) -> dict[str, Any]:
    saved: dict[str, Any] = {"role": turn.role, "text": turn.text}
    if turn.attachments:
        saved["attachments"] = [
            {"kind": item.kind, "url": item.source}
            if item.is_url
            else {
                "kind": item.kind,
                "file": _copied(Path(item.source), folder, f"{number:03d}-{i}", home),
            }
            for i, item in enumerate(turn.attachments, start=1)
        ]
    if turn.speech_file is not None:
        saved["speech"] = _copied(turn.speech_file, folder, f"{number:03d}", home)
    elif turn.speech is not None and turn.speech.pcm:
        folder.mkdir(exist_ok=True)
        target = folder / f"{number:03d}-answer.wav"
        turn.speech.save(target)
        saved["speech"] = target.relative_to(home).as_posix()
    return saved


def _copied(source: Path, folder: Path, prefix: str, home: Path) -> str:
    """Copy a file into the media folder (unless it is there); its name from home."""
    if source.parent.resolve() == folder.resolve():
        target = source  # saving a loaded conversation to the same place
    else:
        folder.mkdir(exist_ok=True)
        target = folder / f"{prefix}-{source.name}"
        shutil.copyfile(source, target)
    return os.path.relpath(target.resolve(), home.resolve())


def load_conversation(path: Path) -> Conversation:
    """Read a conversation written by `save_conversation`.

    Raises:
        OmniInputError: For a file that is not such a conversation, or media
            missing or outside the file's folder.
        OSError: When the file cannot be read.
    """
    try:
        document = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{path} is not a saved conversation: it is not JSON ({exc})."
        raise OmniInputError(msg) from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        msg = (
            f"{path} is not a saved conversation: it lacks "
            f'"format": "{FILE_FORMAT}". Save one with /save FILE.'
        )
        raise OmniInputError(msg)
    home = path.parent.resolve()
    system = document.get("system")
    turns = document.get("turns")
    if not (system is None or isinstance(system, str)) or not isinstance(turns, list):
        msg = f"{path}: 'system' must be text or null and 'turns' a list."
        raise OmniInputError(msg)
    return Conversation(
        system=system,
        turns=[
            _loaded_turn(path, index, item, home) for index, item in enumerate(turns)
        ],
    )


def _loaded_turn(path: Path, index: int, item: object, home: Path) -> Turn:
    where = f"{path}, turn {index + 1}"
    if not isinstance(item, dict):
        msg = f"{where}: a turn must be an object with 'role' and 'text'."
        raise OmniInputError(msg)
    role, text = item.get("role"), item.get("text")
    if role not in ("user", "assistant") or not isinstance(text, str):
        msg = f"{where}: 'role' must be 'user' or 'assistant' and 'text' text."
        raise OmniInputError(msg)
    attachments = tuple(
        _loaded_attachment(where, entry, home) for entry in item.get("attachments", [])
    )
    speech = item.get("speech")
    return Turn(
        role=cast("Literal['user', 'assistant']", role),
        text=text,
        attachments=attachments if role == "user" else (),
        speech_file=_inside(where, speech, home) if isinstance(speech, str) else None,
    )


def _loaded_attachment(where: str, entry: object, home: Path) -> Attachment:
    if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
        msg = f"{where}: an attachment needs a 'kind' of {', '.join(KINDS)}."
        raise OmniInputError(msg)
    kind = cast("Kind", entry["kind"])
    url, file = entry.get("url"), entry.get("file")
    if isinstance(url, str) and is_url(url):
        return Attachment(kind, url)
    if isinstance(file, str):
        return Attachment(kind, str(_inside(where, file, home)))
    msg = f"{where}: an attachment needs a 'file' or an http(s) 'url'."
    raise OmniInputError(msg)


def _inside(where: str, name: str, home: Path) -> Path:
    """A media file named by the conversation, only if it lies in its folder."""
    target = (home / name).resolve()
    if home not in target.parents:
        msg = (
            f"{where}: {name!r} is outside the conversation's folder ({home}), "
            "so it was not read. Saved conversations keep their media beside them."
        )
        raise OmniInputError(msg)
    if not target.is_file():
        msg = f"{where}: the media file {name!r} is missing from {home}."
        raise OmniInputError(msg)
    return target
