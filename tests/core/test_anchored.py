"""The anchored matcher answers exactly as looking for each needle in turn."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parrain.core.anchored import Anchored

LETTERS = 'ab.+-_%@40 "<>:,'
# Few letters, anchors among them: needles overlap each other and the text's anchors.
local = st.text(alphabet="ab.+-_0%4@", min_size=0, max_size=6)
domain = st.text(alphabet="ab.@+", min_size=0, max_size=5)
emails = st.builds(lambda a, b: f"{a}@{b}", local, domain)
encoded = st.builds(lambda a, b: f"{a}%40{b}", local, domain)
phones = st.builds(lambda d: f"+{d}", st.text(alphabet="0123456789", min_size=0, max_size=6))
needles = st.lists(st.one_of(emails, encoded, phones), min_size=0, max_size=12)


@st.composite
def texts(draw: st.DrawFn, pool: list[str]) -> str:
    """Random text with some needles, pieces of needles and near misses written in."""
    parts = draw(st.lists(st.text(alphabet=LETTERS, max_size=6), max_size=6))
    if pool:
        for _ in range(draw(st.integers(0, 4))):
            needle = draw(st.sampled_from(pool))
            cut = draw(st.integers(0, len(needle)))
            piece = draw(st.sampled_from([needle, needle[:cut], needle[cut:], needle + "x"]))
            parts.insert(draw(st.integers(0, len(parts))), piece)
    return "".join(parts)


@settings(max_examples=1000, deadline=None)
@given(st.data(), needles)
def test_the_matcher_finds_what_looking_for_each_needle_finds(
    data: st.DataObject, pool: list[str]
) -> None:
    matcher = Anchored(pool)
    assert matcher.complete
    text = data.draw(texts(pool))
    assert matcher.found_in(text) == any(needle in text for needle in pool)


def test_a_needle_without_an_anchor_makes_it_incomplete() -> None:
    matcher = Anchored(["zoe@example.com", "cust-88421"])
    assert not matcher.complete
    assert matcher.found_in('{"email": "ZOE@example.com", "zoe@example.com"}')
    assert not matcher.found_in("zoe@example.co")
