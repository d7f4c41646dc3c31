"""The ``kling-ai-30`` command line."""

from .main import main

__all__ = ["main"]
