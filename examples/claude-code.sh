#!/bin/sh
# Register the kling-ai-30 MCP server with Claude Code, for every project (user scope),
# running it from a clone of this repository.
#
#   sh examples/claude-code.sh                      # the clone this script is in
#   sh examples/claude-code.sh ~/.claude/skills/kling-ai-30
#
# The skill itself (SKILL.md) is picked up by Claude Code when the clone lives in
# ~/.claude/skills/kling-ai-30, or use the plugin instead (docs/install.md).
#
# Once kling-ai-30 is published on PyPI, this is the whole install:
#   claude mcp add --scope user kling-ai-30 -e SKILL_SOURCE=claude_code -- uvx kling-ai-30 serve
set -eu

SKILL_DIR=$(cd "${1:-$(dirname "$0")/..}" && pwd)
test -f "$SKILL_DIR/SKILL.md" || { echo "no SKILL.md in $SKILL_DIR" >&2; exit 2; }

claude mcp add --scope user kling-ai-30 \
  -e KLING_SKILL_DIR="$SKILL_DIR" -e SKILL_SOURCE=claude_code \
  -- uvx --from "$SKILL_DIR" kling-ai-30 serve
