"""Which videos a tool may read: http(s) URLs and files inside allowed folders."""

from pathlib import Path

import pytest

from langchain_qwen_omni import OmniInputError
from langchain_qwen_omni._sandbox import LocalVideo, RemoteVideo, resolve_video_source


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """An allowed folder with one video, and a secret folder beside it."""
    allowed = tmp_path / "videos"
    secret = tmp_path / "secret"
    allowed.mkdir()
    secret.mkdir()
    (allowed / "clip.mp4").write_bytes(b"video")
    (secret / "private.mp4").write_bytes(b"private")
    return allowed, secret


@pytest.mark.parametrize(
    "url", ["https://example.com/a.mp4", "http://example.com/v?id=1", "HTTPS://x.org/a"]
)
def test_web_urls_pass_unchanged(url: str) -> None:
    assert resolve_video_source(url, []) == RemoteVideo(url)


@pytest.mark.parametrize(
    "video",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://example.com/a.mp4",
        "data:;base64,AAAA",
        "javascript:alert(1)",
        "s3://bucket/a.mp4",
    ],
)
def test_other_schemes_are_refused(video: str, folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    with pytest.raises(OmniInputError, match=r"scheme is refused: pass an http\(s\)"):
        resolve_video_source(video, [allowed])


def test_url_without_host_is_refused() -> None:
    with pytest.raises(OmniInputError, match="names no host"):
        resolve_video_source("https:///a.mp4", [])


def test_no_allowed_dirs_refuses_every_path(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    with pytest.raises(OmniInputError, match="no allowed_dirs"):
        resolve_video_source(str(allowed / "clip.mp4"), [])


def test_file_inside_is_resolved(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    expected = LocalVideo((allowed / "clip.mp4").resolve())
    assert resolve_video_source(str(allowed / "clip.mp4"), [allowed]) == expected
    assert resolve_video_source("clip.mp4", [allowed]) == expected
    assert resolve_video_source("./sub/../clip.mp4", [str(allowed)]) == expected


def test_relative_names_try_each_allowed_dir(folders: tuple[Path, Path]) -> None:
    allowed, secret = folders
    found = resolve_video_source("private.mp4", [allowed, secret])
    assert found == LocalVideo((secret / "private.mp4").resolve())


def test_absolute_path_outside_is_refused(folders: tuple[Path, Path]) -> None:
    allowed, secret = folders
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        resolve_video_source(str(secret / "private.mp4"), [allowed])


def test_dotdot_escape_is_refused(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        resolve_video_source("../secret/private.mp4", [allowed])
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        resolve_video_source(str(allowed / ".." / "secret" / "private.mp4"), [allowed])


def test_symlink_pointing_outside_is_refused(folders: tuple[Path, Path]) -> None:
    allowed, secret = folders
    (allowed / "link.mp4").symlink_to(secret / "private.mp4")
    (allowed / "door").symlink_to(secret, target_is_directory=True)
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        resolve_video_source("link.mp4", [allowed])
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        resolve_video_source("door/private.mp4", [allowed])


def test_symlink_staying_inside_is_followed(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    (allowed / "alias.mp4").symlink_to(allowed / "clip.mp4")
    found = resolve_video_source("alias.mp4", [allowed])
    assert found == LocalVideo((allowed / "clip.mp4").resolve())


def test_allowed_dir_given_through_a_symlink(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    allowed, _ = folders
    (tmp_path / "shortcut").symlink_to(allowed, target_is_directory=True)
    found = resolve_video_source("clip.mp4", [tmp_path / "shortcut"])
    assert found == LocalVideo((allowed / "clip.mp4").resolve())


def test_sibling_with_common_prefix_is_outside(tmp_path: Path) -> None:
    allowed = tmp_path / "vid"
    sibling = tmp_path / "videos-private"
    allowed.mkdir()
    sibling.mkdir()
    (sibling / "a.mp4").write_bytes(b"x")
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        resolve_video_source(str(sibling / "a.mp4"), [allowed])


def test_refusal_does_not_reveal_whether_a_file_exists(
    folders: tuple[Path, Path],
) -> None:
    allowed, secret = folders
    messages = []
    for name in ("private.mp4", "missing.mp4"):
        with pytest.raises(OmniInputError) as caught:
            resolve_video_source(str(secret / name), [allowed])
        messages.append(str(caught.value).replace(name, "NAME"))
    assert messages[0] == messages[1]


def test_missing_file_inside_says_not_found(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    with pytest.raises(OmniInputError, match="not found in the allowed directories"):
        resolve_video_source("nope.mp4", [allowed])
    (allowed / "folder.mp4").mkdir()
    with pytest.raises(OmniInputError, match="not found"):
        resolve_video_source("folder.mp4", [allowed])


def test_drive_letter_is_a_path_not_a_scheme(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    with pytest.raises(OmniInputError, match="not found"):
        resolve_video_source("C:/clips/a.mp4", [allowed])


@pytest.mark.parametrize("video", ["", "   ", "a\x00b.mp4"])
def test_empty_or_nul_input_is_refused(video: str, folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    with pytest.raises(OmniInputError):
        resolve_video_source(video, [allowed])


def test_symlink_loop_is_refused(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    (allowed / "a").symlink_to(allowed / "b")
    (allowed / "b").symlink_to(allowed / "a")
    with pytest.raises(OmniInputError):
        resolve_video_source("a", [allowed])
