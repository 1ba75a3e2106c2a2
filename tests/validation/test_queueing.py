"""Statistical validation: the model reduced to M/M/1, M/M/c and round robin matches theory.

The CI set runs 9 cases (three utilisations of each model) × 10 replications of 550 s (~15–50 k
requests each, ~25 s of CPU in all); the slow set (``make validate``) covers ρ = 0.3–0.95 plus the
fact sheet's Erlang C check value, with 20 replications of 1,550 s. Every replication also checks
Little's law on its own numbers. Tolerances:

* exact value inside the Bonferroni interval over the set's rows, i.e. family-wise 95 %: with a
  correct model the fixed seeds fail a set with probability ≤ 5 %, and being fixed, the test is
  deterministic;
* W's 95 % half-width under 10 % of the exact value, so a pass is evidence, not a wide interval
  (measured: at most 5.8 % in the CI set, at ρ = 0.9);
* Little's law gap under 1 % per run (measured: at most 0.15 % in the CI set).
"""

from __future__ import annotations

import pytest

from tests.validation.queueing import QueueCase, fmt, replicate, report_rows

MODELS = (("M/M/1", 1), ("M/M/c", 4), ("RR", 4))
ERLANG_C_CHECK = QueueCase("M/M/c", 20, 0.8, total_rate=200.0)  # queueing.md: W = 0.1064019 s
CI_CASES = [QueueCase(m, c, rho) for m, c in MODELS for rho in (0.3, 0.6, 0.9)]
SLOW_CASES = [
    QueueCase(m, c, rho) for m, c in MODELS for rho in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
] + [ERLANG_C_CHECK]
PRECISION = 0.10
LITTLE_TOLERANCE = 0.01


def _validate(case, reps, duration, section, family, report):
    result = replicate(case, reps, duration)
    missed = report_rows(
        result, family, PRECISION, lambda cells, ok: report.add(section, cells, ok)
    )
    gap = max(r.little_gap for r in result.runs)
    runs = f"{reps} × {duration:g} s"
    report.add("little", (case.label, f"{case.rho:.2f}", runs, fmt(gap)), gap < LITTLE_TOLERANCE)
    assert not missed, f"{case}: exact value outside the interval for {missed}"
    assert gap < LITTLE_TOLERANCE


@pytest.mark.parametrize("case", CI_CASES, ids=lambda c: f"{c.model}-c{c.c}-rho{c.rho}")
def test_matches_theory(case, validation_report):
    _validate(case, 10, 550.0, "queueing", 3 * len(CI_CASES), validation_report)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=lambda c: f"{c.model}-c{c.c}-rho{c.rho}")
def test_matches_theory_extended(case, validation_report):
    _validate(case, 20, 1550.0, "queueing-slow", 3 * len(SLOW_CASES), validation_report)


def test_erlang_c_check_value():
    # The fact sheet's check value pins the exact formula the simulator is compared with.
    assert abs(ERLANG_C_CHECK.exact_metric("W") - 0.1064019) < 1e-6
    assert abs(ERLANG_C_CHECK.exact_metric("Wq") - 0.0064019) < 1e-6
