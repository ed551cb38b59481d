"""Missing extras are named, with the line that installs them."""

import subprocess
import sys

import pytest

from langchain_qwen_omni import _launcher
from langchain_qwen_omni._extras import require


def test_require_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(
        ModuleNotFoundError, match=r'pip install "langchain-qwen-omni\[cli\]"'
    ) as info:
        require("cli", "json", "typer")
    assert info.value.name == "typer"
    require("cli", "json")  # present: no error


def test_console_script_without_the_cli_extra_prints_the_install_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)
    with pytest.raises(SystemExit) as info:
        _launcher.main()
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "qwen-omni: This feature needs the 'cli' extra (rich is not installed)"
    )
    assert "Traceback" not in err


def test_emulator_without_its_extra_names_it() -> None:
    code = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "try:\n"
        "    import langchain_qwen_omni.emulator\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert '[emulator]"' in out.stdout
    assert "uvicorn is not installed" in out.stdout
