"""Who is making a request, once authentication has run."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Caller"]


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str
    user_name: str
    roles: frozenset[str]
    #: The `ss-id` login this request came in on, if it used one.
    login_id: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles
