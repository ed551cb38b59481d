"""The README's model tables are exactly what `profiles.py` generates."""

from pathlib import Path

import pytest

from langchain_qwen_omni.model_tables import (
    limits_table_markdown,
    models_table_markdown,
)
from langchain_qwen_omni.profiles import known_models

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("marker", "render"),
    [("limits-table", limits_table_markdown), ("models-table", models_table_markdown)],
)
def test_readme_tables_match_the_profiles(marker: str, render) -> None:
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    text = README.read_text(encoding="utf-8")
    assert text.count(start) == 1
    assert text.count(end) == 1
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == render(), (
        f"README.md's {marker} is out of date: replace the lines between its "
        f"markers with model_tables.{render.__name__}()."
    )


@pytest.mark.parametrize("render", [limits_table_markdown, models_table_markdown])
def test_the_tables_name_every_known_model(render) -> None:
    table = render()
    for name in known_models():
        assert f"`{name}`" in table
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len({id(p) for p in known_models().values()})


def test_the_models_table_says_what_to_pick() -> None:
    rows = {
        line.split(" | ")[0]: line
        for line in models_table_markdown().splitlines()
        if line.startswith("| `")
    }
    omni_38 = rows["| `qwen3.8-omni-flash`"]
    assert "no (text only)" in omni_38
    assert "on by default" in omni_38
    assert "any mix" in omni_38
    omni_35 = rows["| `qwen3.5-omni-plus`, `qwen3.5-omni-plus-2026-03-15`"]
    assert "default Tina" in omni_35
    assert "yes (unconfirmed)" in omni_35  # tools: a single source
    turbo = next(row for name, row in rows.items() if "`qwen-omni-turbo`" in name)
    assert "no longer updated" in turbo
    assert "10,485,760 bytes" in limits_table_markdown()
