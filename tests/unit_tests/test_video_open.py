"""The video tool opens a file once and checks the open descriptor, not the path.

Each attack here is one a process that can write inside an allowed folder (or
a model that can pick the argument) could try: a hard link to a secret, a
file swapped for a symlink, a pipe or a folder between the check and the
open, a file grown or replaced after it was checked, a file too large to
read, a URL Python cannot parse. Nothing reaches the network: the model's
address is a closed port, and every refusal comes before any request.
"""

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from langchain_core.messages import ToolMessage

from langchain_qwen_omni import (
    ChatQwenOmni,
    DescribeVideoTool,
    OmniInputError,
    _sandbox,
    tools,
)
from langchain_qwen_omni._sandbox import (
    LocalVideo,
    open_local_video,
    resolve_video_source,
)
from langchain_qwen_omni.profiles import get_profile
from langchain_qwen_omni.video import VideoPrepStoppedError, probe_video
from tests import media

TURBO_LIMIT = get_profile("qwen-omni-turbo").video_max_bytes
FLASH_LIMIT = get_profile("qwen3-omni-flash").video_max_bytes
MB = 1024 * 1024


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    """An allowed folder with a 4 s clip; `../outside/secret.mp4` beside it."""
    folder = tmp_path / "allowed"
    media.write(folder / "clip.mp4", media.mp4(seconds=4.0))
    media.write(tmp_path / "outside" / "secret.mp4", media.mp4(seconds=6.0))
    return folder


def resolved(allowed: Path, name: str) -> LocalVideo:
    """What the tool's first step accepts: a path, no file opened."""
    source = resolve_video_source(name, [allowed])
    assert isinstance(source, LocalVideo)
    return source


def secret_of(allowed: Path) -> Path:
    return allowed.parent / "outside" / "secret.mp4"


def tool_for(allowed: Path, model: str = "qwen-omni-turbo", **settings: Any):
    llm = ChatQwenOmni(
        model=model, base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0
    )
    return DescribeVideoTool(llm=llm, allowed_dirs=[allowed], **settings)


def call(video: str) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": "1",
        "name": "describe_video",
        "args": {"video": video},
    }


class ProbedError(OmniInputError):
    """Raised by a stand-in probe: the tool got as far as probing."""


@contextlib.contextmanager
def watched() -> Iterator[dict[str, mock.MagicMock]]:
    """Record probing, PyAV opening and whole-file reads, while letting them run."""
    import av  # noqa: PLC0415

    with (
        mock.patch.object(tools, "probe_video", wraps=probe_video) as probe,
        mock.patch.object(av, "open", wraps=av.open) as av_open,
        mock.patch.object(os, "pread", wraps=os.pread) as pread,
    ):
        yield {"probe": probe, "av.open": av_open, "pread": pread}


def assert_nothing_read(spies: dict[str, mock.MagicMock]) -> None:
    for name, spy in spies.items():
        assert not spy.called, f"{name} was called"


# --- hard links -------------------------------------------------------------------


def test_a_hard_link_to_a_file_outside_is_refused_before_any_read(
    allowed: Path,
) -> None:
    os.link(secret_of(allowed), allowed / "innocent.mp4")
    with watched() as spies:
        message = tool_for(allowed).invoke(call("innocent.mp4"))
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert "'innocent.mp4' has 2 hard links" in message.content
    assert "allow_hardlinks=True" in message.content
    assert_nothing_read(spies)


def test_allow_hardlinks_lets_a_linked_file_through(allowed: Path) -> None:
    os.link(allowed / "clip.mp4", allowed / "same.mp4")
    stand_in = ProbedError("probed")
    with mock.patch.object(tools, "probe_video", side_effect=stand_in) as probe:
        message = tool_for(allowed, allow_hardlinks=True).invoke(call("same.mp4"))
    assert message.content == "probed"
    probe.assert_called_once()
    with open_local_video(
        LocalVideo((allowed / "same.mp4").resolve()),
        [allowed],
        max_bytes=MB,
        allow_hardlinks=True,
    ) as video:
        assert video.read_all() == (allowed / "clip.mp4").read_bytes()


# --- size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "limit"),
    [("qwen-omni-turbo", TURBO_LIMIT), ("qwen3-omni-flash", FLASH_LIMIT)],
)
def test_a_300_mb_file_is_refused_by_its_size_before_any_read(
    allowed: Path, model: str, limit: int
) -> None:
    big = allowed / "big.mp4"
    with big.open("wb") as handle:  # sparse: no disk space, no time
        handle.write(media.mp4(seconds=4.0))
        handle.truncate(300 * MB)
    with watched() as spies:
        message = tool_for(allowed, model).invoke(call("big.mp4"))
    assert message.status == "error"
    assert f"has 314,572,800 bytes, over the {limit:,}" in message.content
    assert "max_file_bytes" in message.content
    # Where the limit comes from; and no URL advice, as the API's limit is the same.
    assert f"{model}'s limit per video, which max_file_bytes defaults to" in (
        message.content
    )
    assert "URL" not in message.content
    assert_nothing_read(spies)


def test_max_file_bytes_raises_the_limit(allowed: Path) -> None:
    big = allowed / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(300 * MB)
    with mock.patch.object(tools, "probe_video", side_effect=ProbedError("probed")):
        message = tool_for(allowed, max_file_bytes=400 * MB).invoke(call("big.mp4"))
    assert message.content == "probed"
    message = tool_for(allowed, max_file_bytes=100).invoke(call("clip.mp4"))
    assert "over the 100 this tool reads (its max_file_bytes setting)" in (
        message.content
    )


# --- swaps between the check and the open -------------------------------------------


def test_a_file_swapped_for_a_symlink_after_the_check_is_not_followed(
    allowed: Path,
) -> None:
    checked = resolved(allowed, "clip.mp4")
    (allowed / "clip.mp4").unlink()
    (allowed / "clip.mp4").symlink_to(secret_of(allowed))
    with pytest.raises(OmniInputError, match="changed while it was being opened"):
        open_local_video(checked, [allowed], max_bytes=MB)


def test_a_folder_swapped_for_a_symlink_after_the_check_is_not_followed(
    allowed: Path,
) -> None:
    media.write(allowed / "sub" / "secret.mp4", media.mp4(seconds=4.0))
    checked = resolved(allowed, "sub/secret.mp4")
    (allowed / "sub").rename(allowed / "old")
    (allowed / "sub").symlink_to(secret_of(allowed).parent)
    with pytest.raises(OmniInputError, match="changed while it was being opened"):
        open_local_video(checked, [allowed], max_bytes=MB)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_pipe_or_folder_swapped_in_is_refused_without_blocking(
    allowed: Path, kind: str
) -> None:
    checked = resolved(allowed, "clip.mp4")
    (allowed / "clip.mp4").unlink()
    if kind == "fifo":
        os.mkfifo(allowed / "clip.mp4")  # opening it for reading would block
    else:
        (allowed / "clip.mp4").mkdir()
    with pytest.raises(OmniInputError, match="is not a regular file"):
        open_local_video(checked, [allowed], max_bytes=MB)


def test_the_tool_never_reads_a_file_swapped_in_after_its_check(
    allowed: Path,
) -> None:
    real_resolve = resolve_video_source

    def resolve_then_swap(video: str, dirs: Any) -> Any:
        checked = real_resolve(video, dirs)
        (allowed / "clip.mp4").unlink()
        (allowed / "clip.mp4").symlink_to(secret_of(allowed))
        return checked

    with (
        mock.patch.object(tools, "resolve_video_source", resolve_then_swap),
        watched() as spies,
    ):
        message = tool_for(allowed).invoke(call("clip.mp4"))
    assert message.status == "error"
    assert "changed while it was being opened" in message.content
    assert_nothing_read(spies)


def test_the_descriptor_is_what_gets_probed_and_read(allowed: Path) -> None:
    clip = allowed / "clip.mp4"
    original = clip.read_bytes()
    with open_local_video(
        resolved(allowed, "clip.mp4"), [allowed], max_bytes=MB
    ) as video:
        media.write(allowed / "new.mp4", media.mp4(seconds=9.0))
        (allowed / "new.mp4").replace(clip)  # the path now names another file
        assert probe_video(video.file()).duration == pytest.approx(4.0, abs=0.2)
        assert probe_video(clip).duration == pytest.approx(9.0, abs=0.2)
        assert video.read_all() == original


def test_a_file_that_grows_after_opening_is_not_sent(allowed: Path) -> None:
    checked = resolved(allowed, "clip.mp4")
    with open_local_video(checked, [allowed], max_bytes=MB) as video:
        with (allowed / "clip.mp4").open("ab") as handle:
            handle.write(b"more")
        with pytest.raises(OmniInputError, match="changed while it was read"):
            video.read_all()


def test_the_real_path_of_the_descriptor_is_checked(allowed: Path) -> None:
    checked = resolved(allowed, "clip.mp4")
    elsewhere = Path("/somewhere/else/clip.mp4")
    with (
        mock.patch.object(_sandbox, "_descriptor_path", return_value=elsewhere),
        pytest.raises(OmniInputError, match="outside the allowed directories"),
    ):
        open_local_video(checked, [allowed], max_bytes=MB)


def test_a_refused_file_is_closed(allowed: Path) -> None:
    os.link(secret_of(allowed), allowed / "linked.mp4")
    checked = resolved(allowed, "linked.mp4")
    before = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(20):
        with pytest.raises(OmniInputError):
            open_local_video(checked, [allowed], max_bytes=MB)
    assert len(list(Path("/proc/self/fd").iterdir())) == before


def test_opened_videos_close_once_and_refuse_use_after(allowed: Path) -> None:
    checked = resolved(allowed, "clip.mp4")
    video = open_local_video(checked, [allowed], max_bytes=MB)
    video.close()
    video.close()
    with pytest.raises(ValueError, match="already closed"):
        video.file()


# --- URLs Python cannot parse -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://[bad/v.mp4",
        "https://example.com:99999/v.mp4",
        "http://[::1/v.mp4",
        "https://user@:80/v.mp4",
    ],
)
def test_malformed_urls_come_back_as_tool_errors(allowed: Path, url: str) -> None:
    with pytest.raises(OmniInputError, match="not a valid URL"):
        resolve_video_source(url, [allowed])
    message = tool_for(allowed).invoke(call(url))
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert "not a valid URL" in message.content
    assert "http" in message.content


def test_ipv6_hosts_and_ports_stay_valid() -> None:
    for url in ("http://[::1]:8080/v.mp4", "https://example.com:443/v.mp4"):
        assert resolve_video_source(url, []).url == url  # type: ignore[union-attr]


def test_a_thread_safe_close_after_a_worker_opened_nothing() -> None:
    workspace = tools._Workspace()
    threads = [threading.Thread(target=workspace.close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pytest.raises(VideoPrepStoppedError):
        workspace.folder()


def test_an_allowed_entry_naming_one_file_still_opens_it(allowed: Path) -> None:
    clip = allowed / "clip.mp4"
    source = resolve_video_source(str(clip), [clip])
    assert isinstance(source, LocalVideo)
    with open_local_video(source, [clip], max_bytes=MB) as video:
        assert video.read_all() == clip.read_bytes()
