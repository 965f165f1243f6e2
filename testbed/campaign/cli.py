"""`python -m testbed.campaign` (`make campaign`): the command line."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from testbed.netns import lan_unavailable, sweep_stale

from . import __doc__ as CAMPAIGN_DOC
from .scenarios import Campaign

__all__ = ["main"]


# -- command line ---------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m testbed.campaign", description=(CAMPAIGN_DOC or "").split("\n")[0]
    )
    p.add_argument("--seed", type=int, default=None, help="the campaign's seed (random)")
    p.add_argument("-n", type=int, default=200, help="how many scenarios (200)")
    p.add_argument("--only", type=int, nargs="*", help="run only these scenarios of the seed")
    p.add_argument("--json", type=Path, help="write the figures there too")
    p.add_argument("--keep", action="store_true", help="keep the data folders")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the last line")
    return p


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 10**6)
    numbers = a.only if a.only else list(range(1, a.n + 1))

    def say(text: str) -> None:
        if not a.quiet:
            print(text, flush=True)

    why = lan_unavailable("nft")
    if why:
        print(f"campaign: cannot run here: {why}", file=sys.stderr)
        return 2
    sweep_stale()
    # SIGTERM (a CI timeout, say) ends the run through the finally below: the LAN goes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="autonome-campaign-"))
    say(f"campaign: seed {seed}, {len(numbers)} scenarios, data in {work}")
    campaign = Campaign(seed, work, say)
    try:
        campaign.up()
        tally = campaign.run(numbers)
    finally:
        campaign.down()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    figures = {
        "seed": seed,
        "scenarios": tally.scenarios,
        "faults": dict(sorted(tally.faults.items())),
        "bit": dict(sorted(tally.bit.items())),
        "acknowledged": tally.acknowledged,
        "in_journal": tally.in_journal,
        "lost": tally.lost,
        "duplicated": tally.duplicated,
        "chain_errors": tally.chain_errors,
        "total_errors": tally.total_errors,
        "false_gaps": tally.false_gaps,
        "stuck": tally.stuck,
        "recorded_in_doubt": tally.recorded_in_doubt,
        "seconds": round(campaign.elapsed, 1),
        "failures": tally.failures,
    }
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2) + "\n")
    say(
        f"faults: {', '.join(f'{k} {v}' for k, v in figures['faults'].items())} "
        f"(took effect: {', '.join(f'{k} {v}' for k, v in figures['bit'].items())}); "
        f"{tally.recorded_in_doubt} sales in doubt recorded; {tally.total_errors} total errors, "
        f"{tally.false_gaps} false gaps, {tally.stuck} stuck; {campaign.elapsed:.0f} s; "
        f"replay: make campaign SEED={seed} N={a.n}"
    )
    print(tally.line(), flush=True)
    return 0 if tally.ok else 1
