"""Warmup params: what is accepted, and the message for what is not."""

from __future__ import annotations

import pytest

from roster.errors import InvalidOptionError
from roster.warmup import WarmupOptions


def test_defaults_and_normalisation():
    options = WarmupOptions.from_params({"usernames": " a, b ,a,", "line_item_slugs": ["s1", "s2"], "modulo": "3"})
    assert options.usernames == ("a", "b")
    assert options.line_item_slugs == ("s1", "s2")
    assert (options.batch, options.modulo, options.remainder, options.mode) == (1000, 3, None, "sync")
    assert options.remainders == [0, 1, 2]
    assert WarmupOptions.from_params(options.to_params()) == options


def test_names_split_on_commas_and_newlines_and_a_string_is_one_name():
    assert WarmupOptions.from_params({"usernames": "user_10\r\nuser_14\n, ann"}).usernames == ("user_10", "user_14", "ann")
    assert WarmupOptions.from_params({"usernames": "user_10"}).usernames == ("user_10",)
    assert WarmupOptions.from_params({"usernames": ["a\nb", " c "]}).usernames == ("a", "b", "c")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"batch": 0}, "param batch=0 is out of range: it must be between 1 and 100000"),
        ({"modulo": 0}, "param modulo=0 is out of range: it must be between 1 and 100"),
        ({"modulo": 101}, "param modulo=101 is out of range"),
        ({"modulo": 4, "remainder": 4}, "param remainder=4 must be less than modulo=4"),
        ({"remainder": -1}, "param remainder=-1 is out of range"),
        ({"batch": "ten"}, "param batch must be an integer, got 'ten'"),
        ({"modulo": 2.5}, "param modulo must be an integer"),
        ({"batch": True}, "param batch must be an integer"),
        ({"usernames": 42}, "param usernames must be a list of strings or a comma separated string"),
        ({"line_item_slugs": ["ok", 3]}, "param line_item_slugs must contain strings only"),
        ({"mode": "later"}, "param mode='later' must be one of sync, async"),
        ({"modulus": 2}, "unknown param(s) modulus (did you mean modulo?); known: usernames, line_item_slugs"),
        ({"usernames": []}, "param usernames is empty ([]): give at least one name, or leave it out (null) for all"),
        ({"usernames": ",,,"}, "param usernames is empty"),
        ({"line_item_slugs": "\n \n"}, "param line_item_slugs is empty"),
    ],
)
def test_bad_params_are_refused_with_the_param_and_the_rule(params, message):
    with pytest.raises(InvalidOptionError) as excinfo:
        WarmupOptions.from_params(params)
    assert message in str(excinfo.value)
