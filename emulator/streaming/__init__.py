"""The emulator's Streaming API: CometD long-polling, Change Data Capture and platform events."""

from emulator.streaming.config import StreamingConfig
from emulator.streaming.hub import StreamingHub

__all__ = ["StreamingConfig", "StreamingHub"]
