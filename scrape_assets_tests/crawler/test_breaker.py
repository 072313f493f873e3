"""The circuit breaker's state machine."""

from __future__ import annotations

from scrape_assets.crawler.policies.breaker import CLOSED, HALF_OPEN, OPEN, Breaker, BreakerSettings


def _breaker(**overrides) -> Breaker:
    return Breaker(
        BreakerSettings(
            **{
                "window_seconds": 120,
                "error_share": 0.5,
                "min_samples": 10,
                "open_seconds": 10,
                "max_open_seconds": 40,
                "outage_after": 100,
                "probe_timeout": 60,
                "consecutive_failures": 30,
                **overrides,
            }
        )
    )


def test_opens_only_above_the_share_with_enough_samples():
    breaker = _breaker()
    for i in range(9):
        breaker.record(True, now=i)
    assert breaker.state == CLOSED  # 9 failures < min_samples
    breaker.record(False, now=9)
    assert breaker.state == OPEN  # 9 of 10 failing
    breaker2 = _breaker()
    for i in range(10):
        breaker2.record(i % 2 == 0, now=i)
    assert breaker2.state == CLOSED  # exactly 50% is not "over 50%"


def test_trips_when_most_answers_in_the_window_fail():
    breaker = _breaker()
    for i in range(10):
        breaker.record(i < 6, now=i)
    assert breaker.state == OPEN and breaker.open_until == 9 + 10


def test_old_results_leave_the_window():
    breaker = _breaker(window_seconds=5)
    for i in range(6):
        breaker.record(True, now=i)
    for i in range(10):
        breaker.record(False, now=100 + i)
    assert breaker.state == CLOSED and len(breaker.window) == 6  # only the last 5 seconds


def test_pause_then_single_probe_then_close_on_success():
    breaker = _breaker(min_samples=2)
    breaker.record(True, now=0)
    breaker.record(True, now=0)
    assert breaker.allow(now=5) == (False, 5, False)
    assert breaker.allow(now=10) == (True, 0.0, True) and breaker.state == HALF_OPEN
    assert breaker.allow(now=10.01)[0] is False  # one probe at a time
    breaker.record(False, now=11, probe=True)
    assert breaker.state == CLOSED and breaker.allow(now=11) == (True, 0.0, False)
    assert [s for _, s in breaker.transitions] == [OPEN, HALF_OPEN, CLOSED]


def test_failed_probe_reopens_with_doubled_pause_capped_and_outage_after_the_limit():
    breaker = _breaker(min_samples=1)
    breaker.record(True, now=0)
    now = 0.0
    pauses = []
    while not breaker.is_outage(now):
        now = breaker.open_until
        assert breaker.allow(now)[2]
        breaker.record(True, now=now, probe=True)
        pauses.append(breaker.pause)
    assert pauses[:3] == [20, 40, 40]
    assert now >= 100


def test_answers_from_before_the_trip_do_not_count_while_open():
    breaker = _breaker(min_samples=1)
    breaker.record(True, now=0)
    breaker.record(False, now=1)
    assert breaker.state == OPEN


def test_failure_count_follows_results_in_and_out_of_the_window():
    breaker = _breaker(window_seconds=5, min_samples=100)
    for i in range(10):
        breaker.record(i % 3 == 0, now=i)
    assert breaker.window_failures == sum(1 for _, bad in breaker.window if bad) == 2  # t=6 and t=9 remain


def test_a_run_of_failures_opens_it_after_a_long_healthy_stretch():
    breaker = _breaker(consecutive_failures=30)
    for i in range(1000):
        breaker.record(False, now=i * 0.1)
    for i in range(29):
        breaker.record(True, now=100 + i * 0.01)
    assert breaker.state == CLOSED  # 29 of 1,029 in the window: far under the share
    breaker.record(False, now=101)
    for i in range(29):
        breaker.record(True, now=102 + i * 0.01)
    assert breaker.state == CLOSED  # a good answer restarts the run
    breaker.record(True, now=103)
    assert breaker.state == OPEN and breaker.open_until == 103 + 10
