"""Coach: the coaching actions (辅导) a team lead records, and whether the problem went away."""

from .store import (
    STATUSES,
    actions,
    add_action,
    connect,
    default_url,
    follow_up,
    recorded,
    update_action,
    updates,
)

__all__ = ["STATUSES", "actions", "add_action", "connect", "default_url", "follow_up", "recorded",
           "update_action", "updates"]  # fmt: skip
