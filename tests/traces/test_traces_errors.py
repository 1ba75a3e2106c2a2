from __future__ import annotations

import pickle

import pytest

from fleetsim.traces.errors import TraceError, check_on_error


def test_message_names_file_line_field_value_and_rule() -> None:
    err = TraceError(
        "nasa.csv",
        "is negative",
        line=17,
        field="requests",
        value="-3",
        allowed="counts must be integers >= 0",
    )
    assert str(err) == (
        "nasa.csv line 17, field 'requests': '-3' is negative; counts must be integers >= 0."
    )
    assert isinstance(err, ValueError)
    assert (err.path, err.line, err.field, err.value) == ("nasa.csv", 17, "requests", "-3")


def test_message_without_line_or_field() -> None:
    assert str(TraceError("x.log", "is empty")) == "x.log: is empty."


def test_message_is_one_paragraph_and_long_values_are_shortened() -> None:
    err = TraceError("a\nb.csv", "is bad", line=1, field="f", value="x\n" * 200, allowed="no\n")
    text = str(err)
    assert "\n" not in text
    assert "..." in text
    assert len(text) < 200


def test_pickle_round_trip() -> None:
    err = TraceError("t.csv", "is bad", line=3, field="time", value="x", allowed="fix it")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err)
    assert back.line == 3


def test_check_on_error() -> None:
    assert check_on_error("raise") == "raise"
    assert check_on_error("skip") == "skip"
    with pytest.raises(ValueError, match="on_error"):
        check_on_error("ignore")
