"""Request bodies encoded with large strings spliced in, never re-escaped."""

import base64
import json

from langchain_qwen_omni._body import LARGE, encode_body


def test_small_body_is_compact_json() -> None:
    payload = {
        "model": "m",
        "messages": [{"role": "user", "content": 'say "hi"\n'}],
        "stream": True,
    }
    body = encode_body(payload)
    assert json.loads(body) == payload
    assert b'"model":"m"' in body


def test_large_data_urls_are_spliced_exactly() -> None:
    image = (
        "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 1000).decode()
    )
    audio = "data:;base64," + base64.b64encode(b"\x01" * 200_000).decode()
    assert len(image) > LARGE
    payload = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": image}},
                    {
                        "type": "input_audio",
                        "input_audio": {"data": audio, "format": "wav"},
                    },
                    {"type": "text", "text": "what is this?"},
                ],
            }
        ]
    }
    body = encode_body(payload)
    assert json.loads(body) == payload
    assert image.encode() in body


def test_large_strings_that_need_escaping_are_encoded_normally() -> None:
    text = ('quote " backslash \\ newline \n ' * 5000) + "é✓"
    assert len(text) > LARGE
    payload = {
        "messages": [{"role": "user", "content": text}],
        "note": "\x00omni-large-0\x00",
    }
    assert json.loads(encode_body(payload)) == payload


def test_user_text_that_looks_like_a_marker_is_kept() -> None:
    big = "A" * (LARGE + 10)
    payload = {
        "a": big,
        "b": "\x00omni-large-0\x00",
        "c": ["\x00omni-large-1\x00", big],
    }
    assert json.loads(encode_body(payload)) == payload


def test_splicing_matches_json_for_every_ascii_character() -> None:
    for code in range(128):
        text = "A" * (LARGE + 1) + chr(code)
        assert json.loads(encode_body({"t": text})) == {"t": text}
    delete = "A" * LARGE + "\x7f"  # json.dumps escapes DEL
    assert (
        encode_body({"t": delete})
        == json.dumps({"t": delete}, separators=(",", ":")).encode()
    )
