"""Which videos a tool may read: http(s) URLs, and files inside allowed folders.

A tool's input comes from a model, and a model can be talked into asking for
any path (`../../etc/passwd`, a symlink planted in an upload folder, a hard
link to a secret, `file:///...`). So a video is taken in two steps:

1. `resolve_video_source` decides, without opening anything, whether the
   input is an http(s) URL or a path whose real location (symlinks and `..`
   followed, as the operating system would) lies inside an allowed folder.
2. `open_local_video` opens that real path once, walking it from the allowed
   folder one component at a time without following any symlink, and checks
   the open descriptor itself: its path, that it is a regular file with one
   link, and its size against the caller's limit, before a byte is read. That
   descriptor is then what gets probed, cut and read, so a file swapped after
   the check is never the one used.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

    from typing_extensions import Self

__all__ = [
    "LocalVideo",
    "OpenedVideo",
    "RemoteVideo",
    "VideoSource",
    "open_local_video",
    "resolve_video_source",
]

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
    try:
        parts = urlsplit(text)
        host, _port = parts.hostname, parts.port  # `.port` checks the number
    except ValueError as exc:  # `http://[bad/`, a port of 99999, ...
        msg = (
            f"{text!r} is not a valid URL ({exc}). Pass a complete http(s) URL "
            "such as https://example.com/video.mp4, or a file path."
        )
        raise OmniInputError(msg) from exc
    if not parts.netloc or not host:
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


# --- opening a resolved file once -------------------------------------------------

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_WALK_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | _DIRECTORY | _NOFOLLOW
"""Directories of the walk: no read permission needed (`O_PATH`), no symlink."""
_FILE_FLAGS = (
    os.O_RDONLY
    | _NOFOLLOW
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted in the folder cannot block
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_SWAPPED = {errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP)}
"""What opening without following says when a component became a symlink."""


class OpenedVideo:
    """A local video opened once and checked on its descriptor.

    Everything that touches the file (probing, cutting, sampling, reading it
    whole) goes through this descriptor, never through the path again.
    A context manager: leaving it closes the descriptor.
    """

    def __init__(self, fd: int, path: Path, size: int) -> None:
        """Own `fd`, already checked to be `path`, a file of `size` bytes."""
        self._fd: int | None = fd
        self.path = path
        """The real path, as checked; for messages only."""
        self.size = size
        """Bytes, from `fstat` at opening; reads never go past it."""

    def _descriptor(self) -> int:
        if self._fd is None:
            msg = f"{self.path.name!r} was already closed."
            raise ValueError(msg)
        return self._fd

    def file(self) -> io.FileIO:
        """A file object on the descriptor, at offset 0, for PyAV to read.

        Closing it leaves the descriptor open; use one at a time (they share
        the offset).
        """
        handle = io.FileIO(self._descriptor(), "rb", closefd=False)
        handle.name = str(self.path)  # shown in PyAV's errors
        handle.seek(0)
        return handle

    def read_all(self) -> bytes:
        """The whole file, as checked: `size` bytes.

        Raises:
            OmniInputError: If the file changed size since it was opened.
        """
        fd = self._descriptor()
        pieces = []
        offset = 0
        while offset <= self.size:  # one byte past the end proves nothing was added
            piece = os.pread(fd, self.size + 1 - offset, offset)
            if not piece:
                break
            pieces.append(piece)
            offset += len(piece)
        if offset != self.size:
            msg = (
                f"{self.path.name!r} changed while it was read ({self.size:,} bytes "
                f"when opened, {offset:,} read), so it was not sent. Try again "
                "once nothing writes to it."
            )
            raise OmniInputError(msg)
        return b"".join(pieces)

    def close(self) -> None:
        """Close the descriptor; closing twice is harmless."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Self:
        """Use as a context manager."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the descriptor."""
        self.close()


def open_local_video(
    video: LocalVideo,
    allowed_dirs: Sequence[str | Path],
    *,
    max_bytes: int,
    limit: str = "",
    allow_hardlinks: bool = False,
) -> OpenedVideo:
    """Open a resolved video once, without following symlinks, and check it.

    The path is walked from the allowed folder that holds it, one component
    at a time, none of them followed if it is a symlink: a file or folder
    swapped for a symlink after `resolve_video_source` makes the open fail
    instead of leading elsewhere. The descriptor is then checked: its real
    path (where the OS can tell it) inside that folder, a regular file, one
    link (a hard link can make a file outside appear inside), and its size
    at most `max_bytes`, all before any read.

    Args:
        video: A path from `resolve_video_source`.
        allowed_dirs: The same folders it was resolved against.
        max_bytes: The largest file accepted.
        limit: Where `max_bytes` comes from, for the message refusing a
            larger file.
        allow_hardlinks: Accept files with more than one link.

    Raises:
        OmniInputError: If any check fails; the file is then closed unread.
    """
    roots = [_resolved(Path(folder).expanduser()) for folder in allowed_dirs]
    root = next((r for r in roots if _within(video.path, r)), None)
    if root is None:
        msg = (
            f"{str(video.path)!r} is outside the allowed directories, so it was "
            "not read."
        )
        raise OmniInputError(msg)
    name = repr(video.path.name)
    try:
        fd = _open_below(root, video.path.relative_to(root).parts)
    except OSError as exc:
        raise _open_error(name, exc) from exc
    try:
        size = _checked(
            fd,
            name,
            roots,
            max_bytes=(max_bytes, limit),
            hardlinks=allow_hardlinks,
        )
    except BaseException:
        os.close(fd)
        raise
    return OpenedVideo(fd, video.path, size)


def _open_below(root: Path, parts: Sequence[str]) -> int:
    """Open `root/parts...`, no symlink followed below `root`."""
    if not parts:  # a single file given as allowed, as configured
        return os.open(root, _FILE_FLAGS & ~_NOFOLLOW)
    if os.open not in os.supports_dir_fd or not _NOFOLLOW:  # pragma: no cover
        return _open_checking_identity(root.joinpath(*parts))
    folder = os.open(root, _WALK_FLAGS & ~_NOFOLLOW)  # the configured root itself
    try:
        for part in parts[:-1]:
            inner = os.open(part, _WALK_FLAGS, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
    finally:
        os.close(folder)


def _open_checking_identity(path: Path) -> int:  # pragma: no cover - Windows
    """Without `openat`: open the resolved path, then check nothing moved there."""
    fd = os.open(path, _FILE_FLAGS)
    try:
        same = os.path.samestat(os.fstat(fd), path.lstat())
    except OSError:
        same = False
    if not same or path.resolve() != path:
        os.close(fd)
        raise OSError(errno.ELOOP, "the path changed while it was opened")
    return fd


def _open_error(name: str, exc: OSError) -> OmniInputError:
    if exc.errno in _SWAPPED:
        return OmniInputError(
            f"Video file {name} changed while it was being opened (a part of its "
            "path is now a symlink), so it was not read."
        )
    if exc.errno == errno.ENOENT:
        return OmniInputError(f"Video file {name} disappeared before it was opened.")
    return OmniInputError(f"Video file {name} cannot be opened ({exc.strerror}).")


def _checked(
    fd: int,
    name: str,
    roots: Sequence[Path],
    *,
    max_bytes: tuple[int, str],
    hardlinks: bool,
) -> int:
    """Check the open file; return its size.

    `max_bytes` is the largest size accepted, and where that limit comes from.
    """
    facts = os.fstat(fd)
    if not stat.S_ISREG(facts.st_mode):
        msg = (
            f"{name} is not a regular file (a folder, device or pipe), so it was "
            "not read."
        )
        raise OmniInputError(msg)
    real = _descriptor_path(fd)
    if real is not None and not any(_within(real, root) for root in roots):
        msg = f"{name} is outside the allowed directories, so it was not read."
        raise OmniInputError(msg)
    if facts.st_nlink != 1 and not hardlinks:
        msg = (
            f"{name} has {facts.st_nlink} hard links, so it may be the same file "
            "as one outside the allowed folders; it was not read. Pass a file "
            "with a single link (a copy), or create the tool with "
            "allow_hardlinks=True if hard links in these folders are trusted."
        )
        raise OmniInputError(msg)
    largest, limit = max_bytes
    if facts.st_size > largest:
        why = f" ({limit})" if limit else ""
        msg = (
            f"{name} has {facts.st_size:,} bytes, over the {largest:,} this tool "
            f"reads{why}, so it was not read. Pass a smaller video file; a larger "
            "max_file_bytes setting lets the tool read larger files and cut them "
            "into parts the model takes."
        )
        raise OmniInputError(msg)
    if facts.st_size == 0:
        msg = f"{name} is empty, so there is nothing to describe."
        raise OmniInputError(msg)
    return facts.st_size


def _descriptor_path(fd: int) -> Path | None:
    """Where the open file is now, asked of the OS; `None` where it cannot tell."""
    link = Path(f"/proc/self/fd/{fd}")  # Linux; the link names the open file
    try:
        return link.readlink()
    except OSError:
        return _macos_descriptor_path(fd)


def _macos_descriptor_path(fd: int) -> Path | None:  # pragma: no cover - not Linux
    try:
        import fcntl  # noqa: PLC0415  # POSIX only

        getpath = getattr(fcntl, "F_GETPATH", None)
        if getpath is None:
            return None
        raw = fcntl.fcntl(fd, getpath, bytes(1024))
    except (ImportError, OSError):
        return None
    return Path(os.fsdecode(raw.rstrip(b"\x00")))
