"""The local backend's HTTP side: the ASGI app, its routes, and the runner that serves it."""
