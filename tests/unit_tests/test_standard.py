"""langchain-tests' standard unit suite."""

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from langchain_qwen_omni import ChatQwenOmni
from tests.standard_flags import OmniCapabilities


class TestChatQwenOmniUnit(OmniCapabilities, ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatQwenOmni]:
        return ChatQwenOmni

    @property
    def chat_model_params(self) -> dict:
        return {"model": "qwen3-omni-flash", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict, dict, dict]:
        return (
            {
                "DASHSCOPE_API_KEY": "env-key",
                "DASHSCOPE_BASE_URL": "https://example.invalid/compatible-mode/v1",
            },
            {},
            {
                "api_key": "env-key",
                "base_url": "https://example.invalid/compatible-mode/v1",
            },
        )

    @pytest.mark.xfail(
        reason=(
            "langchain-core's load(allowed_objects='all') admits only classes in "
            "its own serialization mapping, which a package outside the LangChain "
            "monorepo cannot join; test_chat_models.test_serialization_round_trip "
            "checks dumps/load with ChatQwenOmni allowed explicitly."
        ),
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)
