"""The documented constructor type-checks as users write it.

mypy runs strict on a snippet, with and without the pydantic plugin: many
users never enable the plugin, and without it a checker reads the fields'
own names and types.
"""

import dataclasses
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from langchain_qwen_omni import ChatQwenOmni

SNIPPET = """
from pydantic import SecretStr

from langchain_qwen_omni import ChatQwenOmni

ChatQwenOmni(
    model="qwen3.5-omni-flash",
    api_key="sk-...",
    base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    timeout=30.0,
    stop=["\\n\\n"],
    modalities=["text", "audio"],
    voice="Tina",
    max_tokens=512,
    reasoning_effort="low",
    max_retries=3,
)
ChatQwenOmni(api_key=SecretStr("sk-..."), region="cn", temperature=0.2)
ChatQwenOmni(  # the older spellings keep working
    model_name="qwen3-omni-flash",
    dashscope_api_key="sk-...",
    api_base="http://localhost:8000/v1",
    request_timeout=10.0,
    stop_sequences=["END"],
)
"""

BAD = """
from langchain_qwen_omni import ChatQwenOmni

ChatQwenOmni(model=3)
"""


def mypy(tmp_path: Path, code: str, *, plugin: bool) -> subprocess.CompletedProcess:
    (tmp_path / "snippet.py").write_text(textwrap.dedent(code))
    config = tmp_path / "mypy.ini"
    plugins = "plugins = pydantic.mypy\n" if plugin else ""
    config.write_text(f"[mypy]\nstrict = True\n{plugins}")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(tmp_path / "snippet.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("plugin", [False, True], ids=["no-plugin", "pydantic-plugin"])
def test_the_documented_constructor_type_checks(tmp_path: Path, plugin) -> None:
    result = mypy(tmp_path, SNIPPET, plugin=plugin)
    assert result.returncode == 0, result.stdout
    bad = mypy(tmp_path, BAD, plugin=plugin)
    assert bad.returncode == 1
    assert (
        'Argument "model" to "ChatQwenOmni" has incompatible type "int"' in bad.stdout
    )


def test_the_typed_signature_lists_every_field_and_old_spelling() -> None:
    """The signature for type checkers is written out: it must not drift."""
    source = inspect.getsource(ChatQwenOmni)
    stub = source[source.index("def __init__(") : source.index("**kwargs: Any")]
    listed = {
        line.strip().split(":")[0]
        for line in stub.splitlines()
        if line.strip().endswith("...,")
    }
    own = set(ChatQwenOmni.model_fields) - {
        name
        for base in ChatQwenOmni.__mro__[1:]
        for name in getattr(base, "model_fields", {})
    }
    aliases = {
        choice
        for field in ChatQwenOmni.model_fields.values()
        if field.validation_alias is not None
        for choice in getattr(field.validation_alias, "choices", ())
    }
    assert listed == own | aliases
    assert not dataclasses.is_dataclass(ChatQwenOmni)
