"""Deciding whether a repository host may be contacted.

A judge is ``judge(host, port) -> addresses``: it resolves the host once and returns the addresses
git may connect to (they are pinned, so a second DNS answer cannot differ), or raises
HostNotAllowed with a readable reason; a host that does not resolve raises OSError.

The probes guard (``readiness.probes.guard``) does the judging, so probes and fetches share one
policy: the default judge uses the guard's strict default policy, and ``guard_judge(policy)``
builds one for the policy an administrator configured.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .errors import HostNotAllowed

if TYPE_CHECKING:
    from readiness.probes.guard import AddressPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
JudgeHost = Callable[[str, int], Sequence[IPAddress]]


def guard_judge(policy: AddressPolicy | None = None) -> JudgeHost:
    """A judge backed by the probes guard with ``policy`` (an AddressPolicy; default: deny private)."""
    # Imported here: the guard pulls in httpx, which validating a URL's text does not need.
    from readiness.probes import guard

    chosen = guard.AddressPolicy() if policy is None else policy

    def judge(host: str, port: int) -> Sequence[IPAddress]:
        try:
            return guard.resolve_and_judge(host, port, chosen)
        except guard.BlockedAddress as exc:
            raise HostNotAllowed(str(exc)) from None
        except guard.UnresolvableHost as exc:
            raise OSError(str(exc)) from None

    return judge


def default_judge_host(host: str, port: int) -> Sequence[IPAddress]:
    return guard_judge()(host, port)
