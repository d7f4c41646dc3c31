"""Paid work only on the user's word: a costly request is confirmed once, where the client can ask.

The balance check itself is the workspace's (a request the balance cannot cover is refused before
anything is sent, on every front end). On top of it, when a request is estimated to use more than
``confirm_share`` of the balance and the client supports elicitation, the user is asked once before
the message goes out. The question is asked by the SDK before the tool body runs (``Resolve``), so
it works on both protocol eras (a mid-call request on 2025-11-25, ``input_required`` on 2026-07-28)
and composes with the Tasks extension: the task is created only after the answer.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context, Elicit
from pydantic import BaseModel, Field

from ..errors import KlingError
from .host import workspace_of
from .tool_call import principal_of


class SpendConfirmation(BaseModel):
    go_ahead: bool = Field(description="Spend the credits and send the request?")


GO_AHEAD = SpendConfirmation(go_ahead=True)


async def confirm_spend(
    message: str, ctx: Context, project: str | None = None
) -> SpendConfirmation | Elicit[SpendConfirmation]:
    """Ask before a request estimated above the configured share of the balance; otherwise go ahead."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return GO_AHEAD  # nobody to ask: the balance check still refuses what cannot be paid
    try:
        workspace = await workspace_of(ctx.request_context)
        share = workspace.settings.confirm_share
        if share is None:
            return GO_AHEAD
        cost = await workspace.estimate(message, workspace.project_ref(principal_of(ctx), project))
    except KlingError:
        return GO_AHEAD  # the tool itself reports what is wrong (settings, a bad project name…)
    if cost is None or not cost.affordable or cost.credits <= share * cost.available:
        return GO_AHEAD  # free, small, or refused by the balance check with its own message
    return Elicit(f"This request will use {cost.describe()}. Send it?", SpendConfirmation)
