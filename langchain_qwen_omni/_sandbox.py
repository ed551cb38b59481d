"""Which videos a tool may read: http(s) URLs, and files inside allowed folders.

A tool's input comes from a model, and a model can be talked into asking for
any path (`../../etc/passwd`, a symlink planted in an upload folder,
`file:///...`). So a local path is resolved first (symlinks and `..`
followed, as the operating system would) and read only if the real file lies
inside one of the allowed directories; every scheme but http and https is
refused. The check happens before anything is opened or sent.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["LocalVideo", "RemoteVideo", "VideoSource", "resolve_video_source"]

# A URL scheme has two or more characters, so `C:\clips\a.mp4` is a path.
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]+):")
_WEB_SCHEMES = frozenset({"http", "https"})


@dataclasses.dataclass(frozen=True)
class LocalVideo:
    """A file inside an allowed directory, its path fully resolved."""

    path: Path


@dataclasses.dataclass(frozen=True)
class RemoteVideo:
    """An http(s) URL, passed to the API as is (never downloaded)."""

    url: str


VideoSource = LocalVideo | RemoteVideo


def resolve_video_source(video: str, allowed_dirs: Sequence[str | Path]) -> VideoSource:
    """Accept an http(s) URL, or a path whose real location is allowed.

    Relative paths are looked up in each allowed directory in turn. Whether
    a refused path exists is never revealed. `~` is expanded in the allowed
    directories (the developer's configuration), never in the input.

    Raises:
        OmniInputError: For an empty input, a scheme other than http(s), a
            path outside every allowed directory (after resolving symlinks
            and `..`), or a file that does not exist.
    """
    text = video.strip()
    if not text:
        msg = "No video given: pass a file path or an http(s) URL."
        raise OmniInputError(msg)
    if scheme := _SCHEME.match(text):
        return _remote(text, scheme.group("scheme").lower())
    if "\x00" in text:
        msg = "The video path contains a NUL character."
        raise OmniInputError(msg)
    roots = [_resolved(Path(folder).expanduser()) for folder in allowed_dirs]
    if not roots:
        msg = (
            f"Local files are not allowed here, so {text!r} was not read: this "
            "tool has no allowed_dirs. Pass an http(s) URL, or give the tool "
            "allowed_dirs=[...] to let it read files inside those folders."
        )
        raise OmniInputError(msg)
    given = Path(text)
    bases = [given] if given.is_absolute() else [root / given for root in roots]
    candidates = [_resolved(path) for path in bases]
    inside = [path for path in candidates if any(_within(path, r) for r in roots)]
    if not inside:
        msg = (
            f"{text!r} is outside the allowed directories, so it was not read. "
            f"Pass a file inside one of: {_listing(roots)}."
        )
        raise OmniInputError(msg)
    for path in inside:
        if _is_file(path):
            return LocalVideo(path)
    msg = (
        f"Video file {text!r} not found in the allowed directories "
        f"({_listing(roots)}). Check the name, or list the folder first."
    )
    raise OmniInputError(msg)


def _remote(text: str, scheme: str) -> RemoteVideo:
    if scheme not in _WEB_SCHEMES:
        msg = (
            f"The {scheme}: scheme is refused: pass an http(s) URL, or a plain "
            "path to a file inside the allowed directories."
        )
        raise OmniInputError(msg)
    if not urlsplit(text).netloc:
        msg = f"{text!r} is not a valid URL: it names no host."
        raise OmniInputError(msg)
    return RemoteVideo(text)


def _resolved(path: Path) -> Path:
    """Follow symlinks and `..` like the OS; a symlink loop is refused.

    ValueError covers names the file system cannot encode (lone surrogates).
    """
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: loops, < 3.13
        msg = f"{str(path)!r} cannot be resolved ({exc}), so it was not read."
        raise OmniInputError(msg) from exc


def _is_file(path: Path) -> bool:
    """Whether `path` is a regular file; a name too long to stat is none."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _listing(roots: Sequence[Path]) -> str:
    return ", ".join(str(root) for root in roots)
