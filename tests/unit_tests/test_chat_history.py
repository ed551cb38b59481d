"""The chat's conversation file: JSON with media beside it; what loading refuses."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_qwen_omni import OmniAudio, OmniInputError
from langchain_qwen_omni import media as omni_media
from langchain_qwen_omni._chat_history import (
    Conversation,
    load_conversation,
    media_folder,
    save_conversation,
)
from tests import media
from tests.fake_audio import tone_pcm

if TYPE_CHECKING:
    from pathlib import Path

URL = "https://example.com/cat.png"


@pytest.fixture
def photo(tmp_path):
    return media.write(tmp_path / "in" / "photo.png", media.png(16, 16))


def conversation_with_media(photo) -> Conversation:
    chat = Conversation(system="Be brief.")
    chat.attach("image", str(photo))
    chat.attach("image", URL)
    chat.ask("What are these?")
    chat.answer("Two pictures.", OmniAudio(pcm=tone_pcm(2400, 24_000)))
    chat.ask("Thanks")
    return chat


def test_messages_hold_the_system_message_and_every_turn(photo):
    messages = conversation_with_media(photo).messages()

    assert [type(m) for m in messages] == [
        SystemMessage,
        HumanMessage,
        AIMessage,
        HumanMessage,
    ]
    first = messages[1].content
    assert isinstance(first, list)
    assert [block["type"] for block in first] == ["image", "image", "text"]  # type: ignore[index]
    assert first[1]["url"] == URL  # type: ignore[index]
    assert messages[2].content == "Two pictures."


def test_attachments_wait_for_the_next_turn_only(photo):
    chat = Conversation()
    chat.attach("image", str(photo))

    first, second = chat.ask("one"), chat.ask("two")

    assert len(first.attachments) == 1
    assert second.attachments == ()
    assert chat.pending == []


def test_attach_checks_the_file_at_once(tmp_path, photo):
    chat = Conversation()

    with pytest.raises(OmniInputError, match="not audio"):
        chat.attach("audio", str(photo))
    assert chat.pending == []


def test_an_attached_file_is_sniffed_once_however_often_it_is_sent(monkeypatch, photo):
    heads: list[Path] = []
    read_head = omni_media._read_head

    def counted(path: Path) -> bytes:
        heads.append(path)
        return read_head(path)

    monkeypatch.setattr(omni_media, "_read_head", counted)
    chat = Conversation()
    chat.attach("image", str(photo))
    chat.ask("What is this?")

    first, second = chat.messages(), chat.messages()

    assert len(heads) == 1
    assert first[0].content[0] == second[0].content[0]


def test_save_then_load_gives_the_same_conversation(tmp_path, photo):
    chat = conversation_with_media(photo)
    path = tmp_path / "trip.json"

    folder = save_conversation(chat, path)
    loaded = load_conversation(path)

    assert folder == tmp_path / "trip.media"
    assert loaded.system == "Be brief."
    assert [(t.role, t.text) for t in loaded.turns] == [
        (t.role, t.text) for t in chat.turns
    ]
    local, remote = loaded.turns[0].attachments
    assert local.kind == "image"
    assert local.source.startswith(str(tmp_path / "trip.media"))
    assert (tmp_path / "trip.media" / "001-1-photo.png").read_bytes() == (
        photo.read_bytes()
    )
    assert remote.source == URL
    speech = loaded.turns[1].speech_file
    assert speech is not None
    assert speech.name == "002-answer.wav"
    assert loaded.messages()[1].content[0]["mime_type"] == "image/png"  # type: ignore[index]


def test_saving_a_loaded_conversation_in_place_keeps_its_media(tmp_path, photo):
    path = tmp_path / "trip.json"
    save_conversation(conversation_with_media(photo), path)
    before = sorted(media_folder(path).iterdir())

    loaded = load_conversation(path)
    loaded.ask("More")
    save_conversation(loaded, path)

    assert sorted(media_folder(path).iterdir()) == before
    assert len(json.loads(path.read_text())["turns"]) == 4


def test_save_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(OmniInputError, match=r"does not exist\. Create it first"):
        save_conversation(Conversation(), tmp_path / "nowhere" / "chat.json")


def user_turn_with(attachment: dict[str, str]) -> str:
    turn = {"role": "user", "text": "x", "attachments": [attachment]}
    return json.dumps({"format": "qwen-omni-chat", "turns": [turn]})


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("not json", "is not a saved conversation: it is not JSON"),
        ('{"turns": []}', 'lacks "format": "qwen-omni-chat"'),
        (
            '{"format": "qwen-omni-chat", "turns": [{"role": "robot", "text": "x"}]}',
            "turn 1: 'role' must be 'user' or 'assistant'",
        ),
        (
            user_turn_with({"kind": "image", "file": "/etc/passwd"}),
            "is outside the conversation's folder",
        ),
        (
            user_turn_with({"kind": "image", "file": "../in/photo.png"}),
            "is outside the conversation's folder",
        ),
        (
            user_turn_with({"kind": "image", "file": "gone.png"}),
            "the media file 'gone.png' is missing",
        ),
        (
            user_turn_with({"kind": "image", "url": "file:///etc/passwd"}),
            "needs a 'file' or an http(s) 'url'",
        ),
        (
            user_turn_with({"kind": "hologram", "url": URL}),
            "needs a 'kind' of image, audio, video",
        ),
    ],
)
def test_load_refuses_what_is_not_a_saved_conversation(
    tmp_path, photo, content, complaint
):
    (tmp_path / "chats").mkdir()
    path = tmp_path / "chats" / "chat.json"
    path.write_text(content)

    with pytest.raises(OmniInputError) as info:
        load_conversation(path)

    assert complaint in str(info.value)
