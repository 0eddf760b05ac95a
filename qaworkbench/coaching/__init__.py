"""Coach: the coaching actions (辅导) a team lead records, and whether the problem went away."""

from .store import actions, add_action, connect, default_url, follow_up, recorded

__all__ = ["actions", "add_action", "connect", "default_url", "follow_up", "recorded"]
