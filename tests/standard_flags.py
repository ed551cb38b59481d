"""What ChatQwenOmni supports, told once to both langchain-tests suites."""


class OmniCapabilities:
    """Capability flags shared by the standard unit and integration suites."""

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True
