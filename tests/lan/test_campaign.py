"""A short fault campaign (`make campaign` runs the long one): three tills sell on
the test LAN while faults of every kind are injected; the invariants hold."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from testbed.lanrig import need

pytestmark = [pytest.mark.lan, pytest.mark.timeout(600)]

LAST = re.compile(
    r"^campaign: (\d+) scenarios, (\d+) acknowledged, (\d+) in journal, "
    r"(\d+) lost, (\d+) duplicated, (\d+) chain errors$"
)


def test_a_short_campaign_keeps_every_invariant(tmp_path):
    need("nft")
    figures = tmp_path / "campaign.json"
    run = subprocess.run(
        [sys.executable, "-m", "testbed.campaign", "--seed", "11", "-n", "6", "-q"]
        + ["--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=580,
    )
    lines = run.stdout.strip().splitlines()
    assert lines, run.stderr[-3000:]
    m = LAST.match(lines[-1])
    assert m, run.stdout[-3000:] + run.stderr[-3000:]
    scenarios, acked, in_journal, lost, duplicated, chain = map(int, m.groups())
    got = json.loads(figures.read_text())
    assert (lost, duplicated, chain) == (0, 0, 0), got["failures"]
    assert run.returncode == 0, got["failures"]
    assert scenarios == 6
    assert acked > 6 * 3  # the three tills sold in every scenario
    assert in_journal == acked + got["recorded_in_doubt"]
    assert sum(got["faults"].values()) >= 6
    assert (got["stuck"], got["false_gaps"], got["total_errors"]) == (0, 0, 0)
