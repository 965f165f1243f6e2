"""The faults a campaign injects, by kind, and how each is started and healed:
cables pulled, black holes, servers and tills killed, crash points."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenarios import Campaign

__all__ = ["FAULTS", "SERVER_FAULTS", "TILL_FAULTS", "inject"]

#: The faults, by kind. A scenario draws one, sometimes two of them.
SERVER_FAULTS = ("server_cable", "server_black_hole", "server_kill", "server_crash_commit")
TILL_FAULTS = (
    "till_cable",
    "till_kill_mid_sale",
    "till_kill_in_flight",
    "till_kill_upload",
    "till_crash_before_append",  # the till's own crash points (AUTONOME_CRASH_AT)
    "till_crash_after_append",
)
FAULTS = SERVER_FAULTS + TILL_FAULTS


def inject(
    campaign: Campaign, kind: str, victim: str, rng: random.Random, kill_at: dict[str, str]
) -> Callable[[], None]:
    """Start fault `kind` of the campaign's shop; what heals it."""
    lan, srv = campaign.lan, campaign.server
    assert srv is not None
    if kind == "server_cable":
        lan.cable("srv", plugged=False)
        return lambda: lan.cable("srv", plugged=True)
    if kind == "server_black_hole":
        lan.black_hole("srv")
        return lambda: lan.clear_black_hole("srv")
    if kind == "server_kill":
        srv.kill()
        return lambda: srv.start()
    if kind == "server_crash_commit":
        srv.kill()
        point = rng.choice(("before_commit", "after_commit"))
        srv.start(env={"AUTONOME_CRASH_AT": point, "AUTONOME_CRASH_AFTER": str(rng.randint(0, 3))})

        def restart() -> None:
            if srv.proc is not None and srv.proc.poll() is not None:
                campaign.tally.bit[kind] += 1  # it died at its crash point
            srv.kill()  # still alive: the tills made too few sales to reach it
            srv.start()

        return restart
    if kind == "till_cable":
        lan.cable(victim, plugged=False)
        return lambda: lan.cable(victim, plugged=True)
    if kind in ("till_kill_mid_sale", "till_kill_in_flight"):
        kill_at[victim] = kind.removeprefix("till_kill_")
        return lambda: campaign.restart(victim)
    if kind.startswith("till_crash_"):
        c = campaign.cashiers[victim]
        c.kill()
        c.start(env={"AUTONOME_CRASH_AT": "till_" + kind.removeprefix("till_crash_")})
        c.login()
        return lambda: campaign.restart(victim)
    if kind == "till_kill_upload":
        campaign.cashiers[victim].kill_on_upload = True  # at its first batch acknowledged
        return lambda: None
    raise ValueError(kind)
