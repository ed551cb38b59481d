"""What installing the package asks for: Python versions, extras, make targets."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]


def project():
    tomllib = pytest.importorskip("tomllib")  # 3.11+; the package itself runs on 3.10
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("version", ["3.10", "3.11", "3.13", "3.14", "3.15", "3.99"])
def test_every_python_from_3_10_on_may_install_it(version):
    assert SpecifierSet(project()["requires-python"]).contains(version)


def test_python_before_3_10_may_not():
    assert not SpecifierSet(project()["requires-python"]).contains("3.9")


def test_the_running_python_is_allowed():
    version = f"{sys.version_info.major}.{sys.version_info.minor}"

    assert SpecifierSet(project()["requires-python"]).contains(version)


def test_playback_is_an_extra_and_part_of_all():
    extras = project()["optional-dependencies"]

    assert [dep.split(">")[0] for dep in extras["playback"]] == ["sounddevice"]
    assert "playback" in extras["all"][0]
    assert "sounddevice" not in " ".join(project()["dependencies"])


def make_commands(target: str, venv: Path) -> str:
    done = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_the_cli_extra_only_and_make_test_the_dev_set(tmp_path):
    demo = make_commands("demo", tmp_path / "venv")
    test = make_commands("test", tmp_path / "venv")

    assert '-e ".[cli]"' in demo
    assert "[dev]" not in demo
    assert "qwen-omni demo" in demo
    assert '-e ".[dev]"' in test
