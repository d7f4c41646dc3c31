"""Entry point of the Claude Desktop bundle (MCPB, server type ``uv``).

Claude Desktop runs ``uv run --directory <bundle> scripts/mcpb_launcher.py``; uv installs the
project from the bundle's ``pyproject.toml``, and this starts the stdio MCP server. The host may
also run the entry point without arguments, so ``serve`` is implied here.
"""

import sys

from kling_ai_30.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
