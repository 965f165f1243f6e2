"""The fault campaign: three tills sell on a shop LAN while faults are injected.

`python -m testbed.campaign --seed S -n N` (`make campaign SEED=S N=N`) builds
a LAN of network namespaces (testbed/netns.py), starts a store server on `srv`
and three headless tills on `till1`..`till3`, logs a cashier in on each, then
runs N scenarios. A scenario draws its faults from its own random generator
(seeded by the campaign seed and its number, so `--only K` replays scenario K
of a run), lets the tills sell before, during and after them, heals, waits
until every till is online with nothing pending, and checks the invariants of
docs/architecture.md against the server's journal:

- every acknowledged sale is in the journal exactly once, as acknowledged;
- every till's chain verifies, and the server logged no integrity event;
- the journal's totals, and the X reports', equal the sum of the receipts;
- a gap is reported only while the till really holds the sales in it.

The cashiers answer the questions as a cashier might: mostly "yes" and "send",
sometimes "retry" or "later" (and then press "upload" by hand).

The last line is `campaign: S scenarios, A acknowledged, J in journal, L lost,
D duplicated, C chain errors`; the exit status is 1 when L, D or C is not 0,
2 when the LAN cannot be built here (root, iproute2 and nftables are needed).
"""

from .cashier import Cashier, Stuck
from .faults import FAULTS, SERVER_FAULTS, TILL_FAULTS
from .judge import Ledger, Tally, judge, local_day
from .scenarios import Campaign

__all__ = [
    "FAULTS",
    "SERVER_FAULTS",
    "TILL_FAULTS",
    "Campaign",
    "Cashier",
    "Ledger",
    "Stuck",
    "Tally",
    "judge",
    "local_day",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """The campaign's command line (testbed.campaign.cli)."""
    from .cli import main as run

    return run(argv)
