import langchain_qwen_omni

EXPECTED_ALL = {
    "ChatQwenOmni",
    "OmniAudio",
    "OmniConversationError",
    "OmniInputError",
    "OmniStreamError",
    "QwenOmniError",
    "aiter_pcm",
    "iter_pcm",
}


def test_all_imports() -> None:
    assert set(langchain_qwen_omni.__all__) == EXPECTED_ALL
    for name in EXPECTED_ALL:
        assert getattr(langchain_qwen_omni, name) is not None
