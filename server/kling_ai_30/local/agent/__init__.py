"""The local backend's agent: what it makes of a chat message, and the /run_sse run that carries it out."""
