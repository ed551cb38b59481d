import subprocess
import sys

import pytest

import langchain_qwen_omni

EXPECTED_ALL = {
    "ChatQwenOmni",
    "DescribeVideoTool",
    "OmniAPIError",
    "OmniAudio",
    "OmniContentFilterError",
    "OmniConversationError",
    "OmniInputError",
    "OmniRateLimitError",
    "OmniStreamError",
    "QwenOmniError",
    "aiter_pcm",
    "audio_block",
    "create_video_describer",
    "image_block",
    "iter_pcm",
    "video_block",
    "video_frames_block",
}


def test_all_imports() -> None:
    assert set(langchain_qwen_omni.__all__) == EXPECTED_ALL
    assert set(langchain_qwen_omni._EXPORTS) == EXPECTED_ALL
    for name in EXPECTED_ALL:
        value = getattr(langchain_qwen_omni, name)
        assert value.__name__ == name
    assert set(dir(langchain_qwen_omni)) >= EXPECTED_ALL


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NotAThing"):
        _ = langchain_qwen_omni.NotAThing


def test_package_import_loads_no_heavy_module() -> None:
    code = (
        "import sys, langchain_qwen_omni\n"
        "heavy = {'openai', 'numpy', 'soundfile', 'av', 'uvicorn', 'starlette',"
        " 'PIL', 'langchain_core.language_models'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_chat_model_import_defers_the_openai_sdk() -> None:
    code = (
        "import sys\n"
        "from langchain_qwen_omni import ChatQwenOmni\n"
        "m = ChatQwenOmni(api_key='k')\n"
        "print('openai' in sys.modules)\n"
        "m._client\n"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]
