"""Property tests of what the video tool and the block helpers may read.

A model steered by a prompt injection may ask for any path or URL. Generated
inputs (`..` runs, symlinks to files and folders, chained and looping,
absolute paths, URL-encoded segments, other schemes, wrong-kind `data:`
URLs, very long and non-UTF-8 names) must never resolve to a file outside
`allowed_dirs`, and a refused input must be refused before any file is
opened: every way of opening a file is patched to record its use, since
file permissions cannot prove it (tests may run as root).
"""

import base64
import builtins
import contextlib
import functools
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, ToolMessage

from langchain_qwen_omni import (
    ChatQwenOmni,
    DescribeVideoTool,
    OmniInputError,
    audio_block,
    image_block,
    video_block,
)
from langchain_qwen_omni._probe import kind_of
from langchain_qwen_omni._sandbox import LocalVideo, RemoteVideo, resolve_video_source
from tests import media
from tests.convert import wire_of

EXAMPLES = settings(max_examples=500, deadline=None)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(32)
"""The start of an MP4 file: enough for every check made before decoding."""
NON_UTF8 = os.fsdecode(b"caf\xe9 \xff.mp4")
"""A file name that is not valid UTF-8, as Python sees it (surrogate escapes)."""


# --- one file tree for the whole module -------------------------------------------


@dataclass(frozen=True)
class Tree:
    root: Path
    allowed: Path
    other_allowed: Path
    secret: Path

    @property
    def roots(self) -> list[Path]:
        return [self.allowed, self.other_allowed]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """Allowed folders with symlinks in every direction, and a secret beside them.

    ```
    allowed/clip.mp4  sub/inner.mp4  <non-UTF-8 name>
            link_in.mp4 -> clip.mp4        link_out.mp4 -> ../secret/private.mp4
            link_dir_out -> ../secret      chain1 -> chain2 -> link_dir_out
            chain_in -> sub                loop_a <-> loop_b
            to_root -> /                   to_other -> ../allowed2
            sub/up -> ..  sub/up2 -> ../..
    allowed2/x.mp4  (also allowed; its name starts with "allowed")
    allowedx/y.mp4  (not allowed: a prefix of an allowed name is no parent)
    secret/private.mp4  subdir/deep.mp4
    ```
    """
    root = tmp_path_factory.mktemp("sandbox").resolve()
    allowed, other, secret = root / "allowed", root / "allowed2", root / "secret"
    for folder in (allowed / "sub", other, root / "allowedx", secret / "subdir"):
        folder.mkdir(parents=True)
    for path in (
        allowed / "clip.mp4",
        allowed / "sub" / "inner.mp4",
        allowed / NON_UTF8,
        other / "x.mp4",
        root / "allowedx" / "y.mp4",
        secret / "private.mp4",
        secret / "subdir" / "deep.mp4",
    ):
        path.write_bytes(MP4)
    links = {
        "link_in.mp4": "clip.mp4",
        "link_out.mp4": "../secret/private.mp4",
        "link_dir_out": "../secret",
        "chain2": "link_dir_out",
        "chain1": "chain2",
        "chain_in": "sub",
        "loop_a": "loop_b",
        "loop_b": "loop_a",
        "to_root": "/",
        "to_other": "../allowed2",
        "sub/up": "..",
        "sub/up2": "../..",
    }
    for name, target in links.items():
        (allowed / name).symlink_to(target)
    return Tree(root, allowed, other, secret)


# --- recording every read ---------------------------------------------------------


class ReadSpy:
    """Records every file opening, Python's and PyAV's, while watching.

    Installed once per module (patching per example would cost more than the
    checks); openings outside `watch()` pass unrecorded.
    """

    def __init__(self) -> None:
        self.reads: list[str] | None = None

    def wrap(self, name: str, real: Any) -> Any:
        def opened(*args: Any, **kwargs: Any) -> Any:
            # Media measured in memory (PyAV over a BytesIO) reads no file.
            in_memory = bool(args) and isinstance(args[0], io.IOBase)
            if self.reads is not None and not in_memory:
                self.reads.append(f"{name}({args[0] if args else ''!r})")
            return real(*args, **kwargs)

        return opened

    @contextlib.contextmanager
    def watch(self) -> Iterator[list[str]]:
        reads: list[str] = []
        self.reads = reads
        try:
            yield reads
        finally:
            self.reads = None


@pytest.fixture(scope="module")
def spy() -> Iterator[ReadSpy]:
    recorder = ReadSpy()
    targets: list[tuple[Any, str]] = [
        (builtins, "open"),
        (io, "open"),
        (os, "open"),
        (Path, "read_bytes"),
        (Path, "read_text"),
    ]
    with contextlib.suppress(ImportError):
        import av  # noqa: PLC0415 - optional

        targets.append((av, "open"))
    with contextlib.ExitStack() as stack:
        for owner, name in targets:
            real = getattr(owner, name)
            stack.enter_context(
                mock.patch.object(owner, name, recorder.wrap(name, real))
            )
        yield recorder


def test_the_spy_sees_each_way_of_opening(tree: Tree, spy: ReadSpy) -> None:
    target = tree.allowed / "clip.mp4"
    with spy.watch() as reads:
        target.read_bytes()
        with open(target, "rb"):  # noqa: PTH123 - the builtin is what is spied on
            pass
        os.close(os.open(target, os.O_RDONLY))
    assert len(reads) == 4  # read_bytes itself, and the io.open it makes
    assert spy.reads is None


# --- generated inputs -------------------------------------------------------------

SEGMENTS = [
    "..",
    ".",
    "",
    "sub",
    "clip.mp4",
    "inner.mp4",
    "allowed",
    "allowed2",
    "allowedx",
    "x.mp4",
    "y.mp4",
    "secret",
    "private.mp4",
    "subdir",
    "deep.mp4",
    "link_in.mp4",
    "link_out.mp4",
    "link_dir_out",
    "chain1",
    "chain_in",
    "loop_a",
    "to_root",
    "to_other",
    "up",
    "up2",
    "etc",
    "passwd",
    NON_UTF8,
    "%2e%2e",
    "..%2f..%2fsecret",
    "%2Fetc%2Fpasswd",
    "%252e%252e",
    "~",
    "\\..\\secret",
    # fragments of the tree's escape routes, so that they are drawn often
    "../secret",
    "../allowedx",
    "allowedx/y.mp4",
    "secret/private.mp4",
    "link_dir_out/private.mp4",
    "chain1/subdir",
    "to_root/etc",
    "sub/up2",
    "sub/up",
]
segment = st.one_of(
    st.sampled_from(SEGMENTS),
    st.sampled_from(SEGMENTS),  # twice as likely as noise
    st.text(min_size=1, max_size=12),  # any code point: surrogates, NUL, controls
    st.integers(200, 5000).map(lambda n: "a" * n),  # over NAME_MAX, or PATH_MAX
)
relative = st.lists(segment, min_size=1, max_size=8).map("/".join)


@functools.cache  # built once: validating strategies costs more than a check
def absolute(tree: Tree) -> st.SearchStrategy[str]:
    prefixes = [
        str(tree.root),
        str(tree.allowed),
        str(tree.other_allowed),
        str(tree.secret),
        str(tree.allowed) + "/..",
        str(tree.allowed) + "x",
        "/",
        "/etc",
        "//",
    ]
    return st.builds(
        lambda prefix, rest: prefix.rstrip("/") + "/" + rest,
        st.sampled_from(prefixes),
        relative,
    )


def padded(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The input with stray whitespace around it, as models produce."""
    space = st.sampled_from(["", " ", "\t", "\n", " \n "])
    return st.builds(lambda a, text, b: a + text + b, space, inner, space)


def tree_entries(tree: Tree) -> list[str]:
    """Every entry of the tree (symlinks not followed), absolute and relative."""
    found: list[str] = []
    for folder, dirs, files in os.walk(tree.root):
        for name in dirs + files:
            entry = str(Path(folder) / name)
            found.append(entry)
            found.extend(os.path.relpath(entry, root) for root in tree.roots)
    return found


NOISE = [".", "sub/..", "chain_in/..", "", "..", "to_other", "link_dir_out/.."]


def with_noise(path: str, noise: list[tuple[str, int]]) -> str:
    """`path` with detours inserted between its segments."""
    parts = path.split("/")
    for detour, position in noise:
        parts.insert(position % (len(parts) + 1), detour)
    return "/".join(parts)


@functools.cache  # built once: validating strategies costs more than a check
def routes(tree: Tree) -> st.SearchStrategy[str]:
    """Real entries of the tree, reached by plain or roundabout paths.

    Entries that lead outside the allowed folders (directly, or through a
    symlink) are also drawn on their own, so that each is tried many times.
    """
    entries = tree_entries(tree)
    outside = [e for e in entries if expected(e, tree.roots) is None]
    detours = st.lists(st.tuples(st.sampled_from(NOISE), st.integers(0, 9)), max_size=3)
    return st.one_of(
        st.builds(with_noise, st.sampled_from(entries), detours),
        st.sampled_from(outside),
    )


@functools.cache  # built once: validating strategies costs more than a check
def paths(tree: Tree) -> st.SearchStrategy[str]:
    return padded(st.one_of(relative, absolute(tree), routes(tree), routes(tree)))


SCHEME = st.from_regex(r"\A[A-Za-z][A-Za-z0-9+.\-]{1,8}\Z")


@functools.cache  # built once: validating strategies costs more than a check
def urls(tree: Tree) -> st.SearchStrategy[str]:
    """Inputs with a scheme, many of them naming the allowed files themselves."""
    local = st.one_of(absolute(tree), st.sampled_from([str(tree.allowed / "clip.mp4")]))
    return padded(
        st.one_of(
            st.builds(lambda p: "file://" + p, local),
            st.builds(lambda p: "FiLe:" + p, local),
            st.builds(
                lambda h, p: f"ftp://{h}/{p}", st.sampled_from(["x.org", ""]), relative
            ),
            st.builds(lambda s, p: f"{s}://host/{p}", SCHEME, relative),
            st.builds(lambda s, p: f"{s}:{p}", SCHEME, st.one_of(local, relative)),
            data_urls,
            st.builds(
                lambda s: s + ":///" + str(tree.allowed),
                st.sampled_from(["http", "https"]),
            ),
        )
    )


KIND_BYTES = {
    "image/png": media.png(16, 16),
    "audio/wav": media.wav(0.05),
    "video/mp4": MP4,
}
data_urls = st.builds(
    lambda declared, content: (
        f"data:{declared};base64," + base64.b64encode(KIND_BYTES[content]).decode()
    ),
    st.sampled_from([*KIND_BYTES, "", "text/plain", "application/octet-stream"]),
    st.sampled_from(list(KIND_BYTES)),
)


# --- the oracle: what the operating system would open -----------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")


def expected(text: str, roots: list[Path]) -> LocalVideo | RemoteVideo | None:
    """What may be used, computed independently with `os.path.realpath`."""
    text = text.strip()
    if not text:
        return None
    if _SCHEME.match(text):
        try:
            parts = urlsplit(text)
            host, _port = parts.hostname, parts.port
        except ValueError:  # brackets, ports out of range: not a URL at all
            return None
        ok = parts.scheme.lower() in {"http", "https"} and parts.netloc and host
        return RemoteVideo(text) if ok else None
    if "\x00" in text:
        return None
    real_roots = [os.path.realpath(root) for root in roots]
    # os.path on purpose: an oracle independent of the pathlib code it checks
    absolute = os.path.isabs(text)  # noqa: PTH117
    bases = [text] if absolute else [os.path.join(r, text) for r in real_roots]  # noqa: PTH118
    for base in bases:
        try:
            real = os.path.realpath(base)
            is_file = os.path.isfile(real)  # noqa: PTH113
        except (OSError, ValueError):
            continue
        inside = any(os.path.commonpath([real, r]) == r for r in real_roots)
        if inside and is_file:
            return LocalVideo(Path(real))
    return None


def check_resolution(text: str, tree: Tree, spy: ReadSpy) -> None:
    with spy.watch() as reads:
        try:
            outcome: Any = resolve_video_source(text, tree.roots)
        except OmniInputError:
            outcome = None
    assert reads == [], f"{text!r} was read: {reads}"
    if isinstance(outcome, LocalVideo):
        real = os.path.realpath(outcome.path)
        assert any(
            os.path.commonpath([real, str(root)]) == str(root) for root in tree.roots
        ), f"{text!r} escaped to {real}"
        assert os.path.isfile(real)  # noqa: PTH113
        assert not real.startswith(str(tree.secret))
    if isinstance(outcome, RemoteVideo):
        assert urlsplit(outcome.url.strip()).scheme.lower() in {"http", "https"}
    assert outcome == expected(text, tree.roots), text


# --- the video tool's resolver ----------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_paths_resolve_only_inside_allowed_dirs(
    tree: Tree, spy: ReadSpy, data: st.DataObject
) -> None:
    check_resolution(data.draw(paths(tree)), tree, spy)


@EXAMPLES
@given(data=st.data())
def test_schemes_other_than_http_are_refused(
    tree: Tree, spy: ReadSpy, data: st.DataObject
) -> None:
    text = data.draw(urls(tree))
    check_resolution(text, tree, spy)
    with contextlib.suppress(OmniInputError):
        assert isinstance(resolve_video_source(text, tree.roots), RemoteVideo)


@pytest.mark.parametrize(
    ("given_path", "verdict"),
    [
        ("clip.mp4", "allowed"),
        ("link_in.mp4", "allowed"),
        ("sub/inner.mp4", "allowed"),
        ("chain_in/inner.mp4", "allowed"),
        ("sub/up/clip.mp4", "allowed"),
        ("to_other/x.mp4", "allowed"),
        (NON_UTF8, "allowed"),
        ("link_out.mp4", "refused"),
        ("link_dir_out/private.mp4", "refused"),
        ("chain1/subdir/deep.mp4", "refused"),
        ("loop_a", "refused"),
        ("to_root/etc/passwd", "refused"),
        ("sub/up2/secret/private.mp4", "refused"),
        ("../secret/private.mp4", "refused"),
        ("../allowedx/y.mp4", "refused"),
        ("%2e%2e/secret/private.mp4", "refused"),
        ("a" * 300, "refused"),
        ("\ud800.mp4", "refused"),
        ("clip.mp4\x00.txt", "refused"),
    ],
)
def test_named_cases(tree: Tree, spy: ReadSpy, given_path: str, verdict: str) -> None:
    """The generated inputs' landmarks, one by one, so a failure reads plainly."""
    check_resolution(given_path, tree, spy)
    found = expected(given_path, tree.roots)
    assert ("allowed" if found else "refused") == verdict


# --- the tool: refused before any read, and no request ------------------------------


@pytest.fixture(scope="module")
def tool(tree: Tree) -> DescribeVideoTool:
    llm = ChatQwenOmni(base_url="http://127.0.0.1:9/compatible-mode/v1", api_key="x")
    return DescribeVideoTool(llm=llm, allowed_dirs=tree.roots)


@EXAMPLES
@given(data=st.data())
def test_tool_refuses_escapes_before_any_read_or_request(
    tree: Tree, tool: DescribeVideoTool, spy: ReadSpy, data: st.DataObject
) -> None:
    text = data.draw(st.one_of(paths(tree), urls(tree)))
    if expected(text, tree.roots) is not None:
        return  # allowed inputs are read, as they should be
    call = {
        "type": "tool_call",
        "id": "1",
        "name": "describe_video",
        "args": {"video": text},
    }
    with (
        mock.patch.object(ChatQwenOmni, "_prepare") as request,
        mock.patch("langchain_qwen_omni.tools.probe_video") as probe,
        spy.watch() as reads,
    ):
        message = tool.invoke(call)
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert reads == []
    request.assert_not_called()
    probe.assert_not_called()


# --- the block helpers and the converter ------------------------------------------

HELPERS: dict[str, Callable[..., Any]] = {
    "image": image_block,
    "audio": audio_block,
    "video": video_block,
}


@EXAMPLES
@given(data=st.data(), kind=st.sampled_from(list(HELPERS)))
def test_helpers_refuse_other_schemes_and_wrong_kinds_before_any_read(
    tree: Tree, spy: ReadSpy, data: st.DataObject, kind: str
) -> None:
    text = data.draw(urls(tree)).strip()
    scheme = _SCHEME.match(text)
    assert scheme is not None
    name = scheme.group(0)[:-1].lower()
    with spy.watch() as reads:
        try:
            block = HELPERS[kind](text)
            wire = wire_of([HumanMessage(content_blocks=[block])])
        except OmniInputError:
            block = wire = None
    assert reads == []
    if name == "data":
        declared = text[5:].partition(";")[0]
        content = next(m for m, b in KIND_BYTES.items() if b64(b) in text)
        fits = fits_kind(content, kind) and (
            kind_of(declared) is None or fits_kind(declared, kind)
        )
        assert (wire is not None) == fits, text
    elif name not in {"http", "https"}:
        assert block is None, text  # refused by the helper itself


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def fits_kind(mime: str, kind: str) -> bool:
    """Whether media of this type may go in a block of this kind (MP4: audio too)."""
    return mime.startswith(kind + "/") or (kind == "audio" and mime == "video/mp4")


@EXAMPLES
@given(data=st.data(), kind=st.sampled_from(list(HELPERS)))
def test_converter_refuses_url_blocks_with_other_schemes(
    tree: Tree, spy: ReadSpy, data: st.DataObject, kind: str
) -> None:
    url = data.draw(urls(tree)).strip()
    block = {"type": kind, "url": url}
    with spy.watch() as reads:
        try:
            wire_of([HumanMessage(content_blocks=[block])])  # type: ignore[list-item]
            accepted = True
        except OmniInputError:
            accepted = False
    assert reads == []
    if accepted:
        assert urlsplit(url).scheme.lower() in {"http", "https", "data"}


@pytest.mark.parametrize(
    ("kind", "declared", "helper_hint"),
    [
        ("image", "audio/wav", "audio_block"),
        ("audio", "image/png", "image_block"),
        ("video", "image/png", "image_block"),
        ("image", "video/mp4", "video_block"),
    ],
)
def test_helpers_refuse_a_data_url_of_another_kind_at_once(
    kind: str, declared: str, helper_hint: str
) -> None:
    url = f"data:{declared};base64," + base64.b64encode(KIND_BYTES[declared]).decode()
    with pytest.raises(
        OmniInputError, match=f"is {declared}, not {kind}: use {helper_hint}"
    ):
        HELPERS[kind](url)


def test_helpers_accept_a_data_url_of_their_kind() -> None:
    url = "data:video/mp4;base64," + base64.b64encode(MP4).decode()
    assert video_block(url) == {"type": "video", "url": url}
    assert audio_block(url)["url"] == url  # an MP4 may hold sound only
