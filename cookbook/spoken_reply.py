"""Spoken reply: hear the answer while it streams, and save it as a WAV file.

Run it:

    python cookbook/spoken_reply.py --out reply.wav --voice Cherry
    python cookbook/spoken_reply.py --emulator

With `modalities=["text", "audio"]` every streamed chunk carries a piece of
speech (24 kHz mono 16-bit PCM). A LangChain callback receives each chunk as
it arrives and plays it through `sounddevice` when that is installed
(`pip install sounddevice`); otherwise it writes the live PCM to a file you
can play afterwards. When the answer is complete, `OmniAudio` saves the whole
speech as a WAV file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import endpoint, recipe_parser
from langchain_core.callbacks import BaseCallbackHandler

from langchain_qwen_omni import ChatQwenOmni, OmniAudio

if TYPE_CHECKING:
    from typing import BinaryIO

    from langchain_core.outputs import ChatGenerationChunk, GenerationChunk


class LivePlayback(BaseCallbackHandler):
    """Play each piece of speech the moment its chunk arrives.

    Streamed pieces are aligned to whole samples, so each one is playable on
    its own: no buffering beyond one chunk.
    """

    def __init__(self, fallback: Path) -> None:
        """Open the sound device, or the fallback file when there is none."""
        self.pieces = 0
        self._player: Any = None
        self._file: BinaryIO | None = None
        try:
            import sounddevice  # noqa: PLC0415  # optional: pip install sounddevice

            self._player = sounddevice.RawOutputStream(
                samplerate=24_000, channels=1, dtype="int16"
            )
            self._player.start()
            print("Playing the answer as it streams.", file=sys.stderr)
        except (ImportError, OSError):  # not installed, or no audio device
            self._file = fallback.open("wb")
            print(
                f"sounddevice is not available: writing the live PCM to {fallback} "
                f"(play it with: ffplay -f s16le -ar 24000 -ch_layout mono {fallback})",
                file=sys.stderr,
            )

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        **kwargs: Any,
    ) -> None:
        """Called by LangChain for every streamed chunk, also under `invoke`."""
        del token, kwargs
        message = getattr(chunk, "message", None)
        if message is None or "audio" not in message.additional_kwargs:
            return
        pcm = OmniAudio.from_chunks([message]).pcm
        if not pcm:
            return
        self.pieces += 1
        if self._player is not None:
            self._player.write(pcm)
        elif self._file is not None:
            self._file.write(pcm)

    def close(self) -> None:
        """Let the device finish playing, or close the file."""
        if self._player is not None:
            self._player.stop()
            self._player.close()
        if self._file is not None:
            self._file.close()


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--out", type=Path, default=Path("spoken-reply.wav"))
    parser.add_argument("--voice", default="Cherry")
    parser.add_argument(
        "--prompt", default="Welcome a new user to Qwen-Omni in two sentences."
    )
    args = parser.parse_args(argv)

    with endpoint(args) as connection:
        model = ChatQwenOmni(
            model=args.model,
            modalities=["text", "audio"],
            voice=args.voice,
            **connection,
        )
        player = LivePlayback(fallback=args.out.with_suffix(".live.pcm"))
        try:
            message = model.invoke(args.prompt, config={"callbacks": [player]})
        finally:
            player.close()

    audio = OmniAudio.from_message(message)
    audio.save(args.out)
    print(message.text)
    print(
        f"{audio.duration:.2f} s of speech in {player.pieces} live pieces, "
        f"saved to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
