"""The parser's copy of the output: lines, whatever the read boundaries and the bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from safepip.reading.consumer import Fanout, TailRecorder
from safepip.reading.lines import LineDecoder


def decode_in_pieces(data: bytes, cuts: list[int], max_line: int = 1000) -> list[str]:
    decoder = LineDecoder(max_line=max_line)
    lines: list[str] = []
    previous = 0
    for cut in sorted(set(cuts)):
        lines += decoder.feed(data[previous:cut])
        previous = cut
    lines += decoder.feed(data[previous:])
    return lines + decoder.finish()


def test_line_endings_of_every_kind() -> None:
    data = b"unix\nwindows\r\nprogress 1%\rprogress 2%\rdone\nno newline"
    assert decode_in_pieces(data, []) == [
        "unix",
        "windows",
        "progress 1%",
        "progress 2%",
        "done",
        "no newline",
    ]


def test_crlf_split_across_reads_is_one_line_end() -> None:
    assert decode_in_pieces(b"first\r\nsecond\n", [6]) == ["first", "second"]


def test_bare_cr_before_a_split_crlf_ends_two_lines() -> None:
    # Found by hypothesis: "a\r" + "\r" | "\n" is three line ends, not two.
    assert decode_in_pieces(b"a\r\r\nb", [3]) == ["a", "", "b"]
    assert decode_in_pieces(b"a\r\r\nb", []) == ["a", "", "b"]


def test_multibyte_character_split_across_reads() -> None:
    data = "Collecting caf\u00e9 \u2014 \u2713\n".encode()
    assert decode_in_pieces(data, [15, 16, 19, 20]) == ["Collecting caf\u00e9 \u2014 \u2713"]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert decode_in_pieces(b"bad \xff\xfe byte\n", [5]) == ["bad \ufffd\ufffd byte"]


def test_line_across_reads_is_clipped_to_bound_memory() -> None:
    decoder = LineDecoder(max_line=10)
    for _ in range(1000):
        assert decoder.feed(b"x" * 1000) == []
    assert decoder.feed(b"\nnext\n") == ["x" * 10, "next"]


@given(
    st.lists(
        st.sampled_from([b"a", b"\r", b"\n", b"\r\n", "\u00e9".encode(), b"\xff", b" "]),
        max_size=40,
    ),
    st.lists(st.integers(min_value=0, max_value=80), max_size=10),
)
def test_read_boundaries_never_change_the_lines(pieces: list[bytes], cuts: list[int]) -> None:
    data = b"".join(pieces)
    whole = decode_in_pieces(data, [])
    assert decode_in_pieces(data, cuts) == whole
    expected = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    assert whole == (expected[:-1] if expected.endswith("\n") else expected).split("\n") or (
        not data and whole == []
    )


def test_tail_recorder_is_bounded() -> None:
    tail = TailRecorder(limit=3)
    for number in range(10):
        tail.feed_line("stdout", str(number))
    assert tail.text() == ["7", "8", "9"]
    assert tail.count == 10


class Exploding:
    def feed_line(self, stream: str, line: str) -> None:
        raise RuntimeError(line)


def test_a_failing_consumer_is_dropped_and_the_others_go_on() -> None:
    tail = TailRecorder()
    fanout = Fanout(Exploding(), tail)
    fanout.feed_line("stderr", "one")
    fanout.feed_line("stderr", "two")
    assert tail.text() == ["one", "two"]
    assert [str(error) for error in fanout.failures] == ["one"]
