"""kling-ai-30: ~30-second AI videos from prompts or images through the NemoVideo backend."""
