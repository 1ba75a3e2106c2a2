from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ALB, gzip_copy, write

from fleetsim.traces.alb import FIELDS, iter_alb_records, parse_alb_line, read_alb, split_alb_line
from fleetsim.traces.errors import TraceError
from fleetsim.traces.model import ScanTally

SAMPLES = ALB.read_text().splitlines()
CREATED_JUL = datetime(2018, 7, 2, 22, 22, 48, 364000, tzinfo=UTC)
CREATED_NOV = datetime(2018, 11, 30, 22, 22, 48, 364000, tzinfo=UTC)


def test_there_are_seven_documented_samples_of_29_fields() -> None:
    assert len(SAMPLES) == 7
    assert len(FIELDS) == 29
    assert all(len(split_alb_line(line)) == 29 for line in SAMPLES)


EXTRA = [
    SAMPLES[0] + ' "TID_1234" "-"',  # newer ALB versions append fields
    SAMPLES[0].replace('"curl/7.46.0"', r'"Mozilla/5.0 \"quoted\" and \\ backslash"'),
    SAMPLES[0].replace('"curl/7.46.0"', '""'),
    SAMPLES[0].replace("GET http://www.example.com:80/", "GET http://www.example.com:80/a b"),
]


@pytest.mark.parametrize("line", SAMPLES + EXTRA)
def test_tokenizer_agrees_with_shlex(line: str) -> None:
    assert split_alb_line(line) == shlex.split(line)


def test_every_documented_sample_parses() -> None:
    records = [parse_alb_line(line) for line in SAMPLES]
    assert [r.type for r in records] == ["http", "https", "h2", "ws", "wss", "http", "http"]
    assert [r.elb_status_code for r in records] == [200, 200, 200, 101, 101, 200, 502]
    assert [r.target_status_code for r in records] == [200, 200, 200, 101, 101, 200, None]
    assert [r.request_creation_time for r in records] == [CREATED_JUL] * 5 + [CREATED_NOV] * 2
    assert all(r.time > r.request_creation_time for r in records)
    assert all(r.method == "GET" and r.extra == () for r in records)


def test_sample_fields_in_detail() -> None:
    http, https, h2, ws, wss, lam_ok, lam_fail = (parse_alb_line(line) for line in SAMPLES)
    assert http.time == datetime(2018, 7, 2, 22, 23, 0, 186641, tzinfo=UTC)
    assert http.elb == "app/my-loadbalancer/50dc6c495c0c9188"
    assert http.client == "192.168.131.39:2817"
    assert http.target == "10.0.0.1:80"
    assert http.request == "GET http://www.example.com:80/ HTTP/1.1"
    assert (http.url, http.http_version) == ("http://www.example.com:80/", "HTTP/1.1")
    assert (http.received_bytes, http.sent_bytes) == (34, 366)
    assert http.user_agent == "curl/7.46.0"
    assert http.ssl_cipher is None and http.ssl_protocol is None
    assert http.trace_id == "Root=1-58337262-36d228ad5d99923122bbe354"
    assert http.matched_rule_priority == 0
    assert http.actions_executed == ("forward",)
    assert http.target_port_list == "10.0.0.1:80"
    assert http.target_status_code_list == "200"
    assert http.classification is None and http.classification_reason is None

    assert (
        https.request_processing_time,
        https.target_processing_time,
        https.response_processing_time,
    ) == (0.086, 0.048, 0.037)
    assert https.ssl_cipher == "ECDHE-RSA-AES128-GCM-SHA256"
    assert https.ssl_protocol == "TLSv1.2"
    assert https.domain_name == "www.example.com"
    assert https.chosen_cert_arn is not None and https.chosen_cert_arn.startswith("arn:aws:acm:")
    assert https.actions_executed == ("authenticate", "forward")
    assert https.matched_rule_priority == 1

    assert h2.http_version == "HTTP/2.0"
    assert h2.url == "https://10.0.2.105:773/"
    assert h2.actions_executed == ("redirect",)
    assert h2.redirect_url == "https://example.com:80/"
    assert h2.target == "10.0.0.66:9000"

    assert ws.user_agent is None and ws.target == "10.0.1.192:8010"
    assert (wss.sent_bytes, wss.url) == (786, "https://10.0.0.30:443/")
    assert wss.target_group_arn is not None and "us-west-2" in wss.target_group_arn

    assert lam_ok.target is None and lam_ok.target_status_code == 200
    assert lam_ok.target_port_list is None and lam_ok.error_reason is None
    assert lam_fail.target is None
    assert (lam_fail.elb_status_code, lam_fail.target_status_code) == (502, None)
    assert lam_fail.error_reason == "LambdaInvalidResponse"


def test_arrivals_come_from_request_creation_time() -> None:
    trace = read_alb(ALB)
    assert trace.start == CREATED_JUL
    assert trace.time_field == "request_creation_time"
    gap = (CREATED_NOV - CREATED_JUL).total_seconds()
    assert list(trace) == [0.0] * 5 + [gap] * 2
    assert trace.count() == 7
    assert list(iter_alb_records(ALB)) == [parse_alb_line(line) for line in SAMPLES]


def test_gzip_alb_log(tmp_path: Path) -> None:
    packed = gzip_copy(
        ALB, tmp_path / "123_elasticloadbalancing_us-east-2_app.x_20180702T2225Z.log.gz"
    )
    assert list(read_alb(packed)) == list(read_alb(ALB))


def test_extra_trailing_fields_are_ignored() -> None:
    record = parse_alb_line(EXTRA[0])
    assert record.extra == ("TID_1234", "-")
    assert record.classification_reason is None


def test_unsorted_entries_can_be_sorted(tmp_path: Path) -> None:
    path = write(tmp_path / "rev.log", "\n".join(reversed(SAMPLES)) + "\n")
    trace = read_alb(path)
    gap = (CREATED_NOV - CREATED_JUL).total_seconds()
    assert trace.start == CREATED_NOV
    assert list(trace.iter_sorted(max_lag=gap + 1)) == [-gap] * 5 + [0.0] * 2


@pytest.mark.parametrize(
    ("bad", "field", "problem"),
    [
        (
            SAMPLES[0][: SAMPLES[0].index(" 2018-07-02T22:22:48")],
            "request_creation_time",
            "is missing (the line has 21 of the 29",
        ),
        (SAMPLES[0].rsplit(" ", 1)[0], "classification_reason", "28 of the 29"),
        (SAMPLES[0][:160], "line", "unclosed double quote"),
        (
            SAMPLES[0].replace("2018-07-02T22:22:48.364000Z", "2018-07-02T25:22:48Z"),
            "request_creation_time",
            "is not a timestamp",
        ),
    ],
)
def test_malformed_lines(tmp_path: Path, bad: str, field: str, problem: str) -> None:
    path = write(tmp_path / "bad.log", SAMPLES[0] + "\n" + bad + "\n" + SAMPLES[1] + "\n")
    with pytest.raises(TraceError) as info:
        list(read_alb(path))
    assert str(info.value).startswith(f"{path} line 2, field '{field}': ")
    assert problem in str(info.value)
    trace = read_alb(path, on_error="skip")
    assert list(trace) == [0.0, 0.0]
    assert trace.skipped == 1
    tally = ScanTally()
    assert len(list(iter_alb_records(path, on_error="skip", tally=tally))) == 2
    assert tally.skipped == 1


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (" 200 200 34 366 ", " 200 200 x 366 ", "received_bytes"),
        (" 0.000 0.001 ", " fast 0.001 ", "request_processing_time"),
        (" 200 200 34", " OK 200 34", "elb_status_code"),
        ("2018-07-02T22:23:00.186641Z", "yesterday", "time"),
    ],
)
def test_full_parse_checks_field_types(old: str, new: str, field: str) -> None:
    with pytest.raises(TraceError, match=rf"line 1, field '{field}'"):
        parse_alb_line(SAMPLES[0].replace(old, new, 1))


def test_arrival_stream_checks_only_what_it_uses(tmp_path: Path) -> None:
    odd = SAMPLES[0].replace(" 200 200 34 366 ", " 200 200 x 366 ")
    path = write(tmp_path / "odd.log", odd + "\n" + SAMPLES[1] + "\n")
    assert read_alb(path).count() == 2  # first line or not, only the arrival time matters
    with pytest.raises(TraceError, match=r"line 1, field 'received_bytes': 'x'"):
        list(iter_alb_records(path))


def test_empty_alb(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="is empty"):
        read_alb(write(tmp_path / "e.log", ""))
    with pytest.raises(TraceError, match=r"no valid ALB log entry \(1 malformed"):
        read_alb(write(tmp_path / "j.log", "junk\n"), on_error="skip")
