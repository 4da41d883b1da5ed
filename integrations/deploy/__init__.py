"""Deploy adapters: one :class:`~integrations.deploy.base.DeployAdapter` per target kind.

The Protocol, the status types and :class:`~integrations.deploy.base.DeployError` live in
``base.py``; each vendor module (``command``, ``webhook``, …) is imported where it is wired, so
importing this package stays light.
"""

from __future__ import annotations

from integrations.deploy.base import (
    Action,
    DeployAdapter,
    DeployError,
    DeployState,
    DeployStatus,
    Target,
)

__all__ = ["Action", "DeployAdapter", "DeployError", "DeployState", "DeployStatus", "Target"]
