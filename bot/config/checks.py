"""Checks across fields, run on a config that passed its models: each problem with its key.

A train's services must be keys of the top-level ``services`` map, each listed once, and its
milestones must be able to come in order within a cycle (:func:`find_order_problem`), and
its gate policies must exist (configured or built in).
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.config.models import AppConfig, TrainConfig
from bot.domain.calendar import find_order_problem
from bot.domain.gates import BUILTIN_POLICIES
from bot.domain.names import closest

__all__ = ["Problem", "cross_checks"]

Problem = tuple[tuple[str | int, ...], str]
"""Where (a key path as pydantic writes it, such as ``("trains", "web", "services", 0)``), why."""


def cross_checks(*, config: AppConfig) -> list[Problem]:
    """Every cross-field problem of ``config``, in file order within each train."""
    problems: list[Problem] = []
    for name, train in config.trains.items():
        problems.extend(_service_problems(name, train, known=list(config.services)))
        for key in ("gate_policy", "hotfix_gate_policy"):
            policy = getattr(train, key)
            if config.gate_policy(policy) is None:
                known = sorted({*config.gate_policies, *BUILTIN_POLICIES})
                problems.append((("trains", name, key), _unknown_policy(policy, known=known)))
        order = find_order_problem(schedule=train.schedule())
        if order is not None:
            problems.append((("trains", name, order.milestone.value), order.message))
    return problems


def _service_problems(name: str, train: TrainConfig, *, known: list[str]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, service in enumerate(train.services):
        where = ("trains", name, "services", index)
        if service in seen:
            yield where, f"service '{service}' is listed twice"
        elif service not in known:
            yield where, _unknown_service(service, known=known)
        seen.add(service)


def _unknown_policy(policy: str, *, known: list[str]) -> str:
    close = closest(policy, known)
    hint = f"did you mean '{close}'?" if close else f"the policies are: {', '.join(known)}"
    return f"unknown gate policy '{policy}'; {hint} (define it under gate_policies)"


def _unknown_service(service: str, *, known: list[str]) -> str:
    reason = f"unknown service '{service}'"
    close = closest(service, known)
    if close:
        return f"{reason}; did you mean '{close}'?"
    if known:
        return f"{reason}; the services are: {', '.join(known)}"
    return f"{reason}: add it to the top-level services map"
