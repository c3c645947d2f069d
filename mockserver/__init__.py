"""mockserver: a local, deterministic emulator of the OpenAI Responses API."""

__version__ = "0.1.0"
