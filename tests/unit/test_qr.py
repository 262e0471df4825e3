"""api.qr: how a verification URL is cut into printed lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.qr import url_lines

LEAF = "0x" + "3c" * 32


def test_the_host_and_path_get_a_line_and_the_leaf_equal_parts() -> None:
    lines = url_lines(f"https://notary.example.vn/v/{LEAF}", 30)
    assert lines[0] == "https://notary.example.vn/v/"
    assert [len(line) for line in lines[1:]] == [22, 22, 22]


def test_a_host_longer_than_a_line_is_cut_evenly_with_the_rest() -> None:
    url = f"https://a-very-long-host-name.example.gov.vn/v/{LEAF}"
    lines = url_lines(url, 20)
    assert "".join(lines) == url and max(map(len, lines)) <= 20
    assert max(map(len, lines)) - min(map(len, lines)) <= 1


@given(st.text(max_size=300), st.integers(min_value=1, max_value=80))
def test_lines_always_join_back_to_the_url_and_fit(url: str, per_line: int) -> None:
    lines = url_lines(url, per_line)
    assert "".join(lines) == url
    assert all(0 < len(line) <= per_line for line in lines)


def test_a_line_of_no_characters_is_refused() -> None:
    with pytest.raises(ValueError):
        url_lines("http://x/v/1", 0)
