"""Hypothesis strategies shared by the fuzz tests."""

from hypothesis import strategies as st


def json_values(
    *, max_int: int, max_text: int, max_leaves: int
) -> st.SearchStrategy[object]:
    """Any JSON value (nested lists and objects), small enough to stay fast."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-max_int, max_int)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=max_text),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=max_text - 2), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )
