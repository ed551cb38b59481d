"""The README's model limits table is exactly what `profiles.py` generates."""

from pathlib import Path

from langchain_qwen_omni.profiles import known_models, limits_table_markdown

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- limits-table:start -->\n"
END = "<!-- limits-table:end -->"


def test_readme_limits_table_matches_the_profiles() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.count(START) == 1
    assert text.count(END) == 1
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert table == limits_table_markdown(), (
        "README.md's model limits table is out of date: replace the lines between "
        "the limits-table markers with profiles.limits_table_markdown()."
    )


def test_the_table_names_every_known_model() -> None:
    table = limits_table_markdown()
    for name in known_models():
        assert f"`{name}`" in table
    assert "10,485,760 bytes" in table
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len({id(p) for p in known_models().values()})
