"""Request-level readers stream: memory stays flat however large the file is."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ALB

from fleetsim.traces.alb import read_alb
from fleetsim.traces.clf import read_clf
from fleetsim.traces.model import RequestTrace
from fleetsim.traces.rate import to_rate
from fleetsim.traces.requests_csv import read_requests_csv

LINES = 16_000
PAD = "x" * 2_800  # long URLs / user agents: a ~40 MB file from few lines, so the test is fast
LIMIT = 20 * 2**20  # generous bound, still half the file size


def clf_line(i: int) -> str:
    stamp = f"01/Aug/1995:{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} -0400"
    return f'h{i} - - [{stamp}] "GET /{PAD}{i} HTTP/1.0" 200 {i}\n'


def tsv_line(i: int) -> str:
    return f"h{i}\t-\t{807_256_800 + i}\tGET\t/{PAD}{i}\t200\t{i}\t\t\n"


ALB_TEMPLATE = ALB.read_text().splitlines()[0].replace('"curl/7.46.0"', f'"agent-{PAD}"')


def alb_line(i: int) -> str:
    return (
        ALB_TEMPLATE.replace("22:22:48.364000Z", f"22:{i // 60 % 60:02d}:{i % 60:02d}.000000Z")
        + "\n"
    )


def generate(path: Path, header: str, line: Callable[[int], str]) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        out.write(header)
        for i in range(LINES):
            out.write(line(i))
    return path


@pytest.mark.parametrize(
    ("name", "header", "line", "reader"),
    [
        ("big.log", "", clf_line, read_clf),
        (
            "big.tsv",
            "host\tlogname\ttime\tmethod\turl\tresponse\tbytes\treferer\tuseragent\n",
            tsv_line,
            read_requests_csv,
        ),
        ("big_alb.log", "", alb_line, read_alb),
    ],
)
def test_iterating_a_large_file_does_not_materialise_it(
    tmp_path: Path,
    name: str,
    header: str,
    line: Callable[[int], str],
    reader: Callable[[Path], RequestTrace],
) -> None:
    path = generate(tmp_path / name, header, line)
    size = path.stat().st_size
    assert size > 2 * LIMIT
    tracemalloc.start()
    try:
        trace = reader(path)
        binned = to_rate(trace, 60)  # one full streaming pass over the file
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert binned.total == LINES
    assert peak < LIMIT, (
        f"peak {peak / 2**20:.1f} MiB while streaming a {size / 2**20:.0f} MiB file"
    )
