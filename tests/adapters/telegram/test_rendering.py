"""Splitting long texts and fitting button payloads into 64 bytes of callback_data."""

from __future__ import annotations

from adapters.telegram.rendering import CallbackPayloads, split_text, utf16_length


def test_short_text_is_one_chunk() -> None:
    assert split_text("  hej  ") == ["hej"]
    assert split_text("") == []


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    text = "a" * 60 + "\n\n" + "b" * 30 + "\n" + "c" * 30
    assert split_text(text, 100) == ["a" * 60, "b" * 30 + "\n" + "c" * 30]
    words = " ".join(["słowo"] * 50)
    chunks = split_text(words, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert all(set(c.split()) == {"słowo"} for c in chunks)
    assert " ".join(chunks) == words


def test_a_text_without_spaces_is_cut_hard() -> None:
    chunks = split_text("x" * 250, 100)
    assert [len(c) for c in chunks] == [100, 100, 50]


def test_length_is_counted_as_telegram_does() -> None:
    text = "😀" * 3000  # 6000 UTF-16 code units
    chunks = split_text(text)
    assert all(utf16_length(c) <= 4096 for c in chunks)
    assert "".join(chunks) == text


def test_short_payloads_pass_as_they_are() -> None:
    payloads = CallbackPayloads()
    assert payloads.encode("/greet") == "/greet"
    assert payloads.decode("/greet") == "/greet"


def test_long_payloads_become_digests() -> None:
    payloads = CallbackPayloads(capacity=2)
    long = '/add_to_cart{"product":"quattro-formaggi","size":"large","quantity":2}'
    key = payloads.encode(long)
    assert len(key.encode()) <= 64
    assert key != long
    assert payloads.decode(key) == long
    assert payloads.find(key, ["/greet", long]) == long
    payloads.encode(long + "1")
    payloads.encode(long + "2")
    assert payloads.decode(key) is None  # forgotten (LRU); the adapter asks the store
    assert CallbackPayloads().decode("#never-seen") is None


def test_multibyte_payload_is_measured_in_bytes() -> None:
    payload = "/add" + "ż" * 31  # 66 bytes, 35 characters
    assert CallbackPayloads().encode(payload) != payload
