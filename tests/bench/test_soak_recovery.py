"""How the soak reads a fault's recovery from its turns (bench/soak.py), without a cluster."""
from bench.soak import Turn, recovery, recovery_problems


def turns(latency_at, seconds: float = 80.0) -> list:
    return [Turn(started=t / 10, latency=latency_at(t / 10), answered=True) for t in range(int(seconds * 10))]


def test_back_when_two_stretches_in_a_row_are_within_one_and_a_half_times_the_before_p95():
    slow_for_12_s = turns(lambda t: 0.5 if t < 12 else 0.03, 30)
    assert recovery(slow_for_12_s, [(0.0, 30.0)], 0.04)[0]["back_within_s"] == 15.0
    fine = turns(lambda t: 0.05)
    assert recovery(fine, [(0.0, 80.0)], 0.04)[0]["back_within_s"] == 0.0


def test_a_blip_long_after_recovery_is_not_the_faults_but_the_longest_wait_counts():
    blip = turns(lambda t: 0.5 if t < 5 or 60 <= t < 60.5 else 0.03)
    figures = recovery(blip, [(0.0, 80.0)], 0.04)[0]
    assert figures["back_within_s"] == 5.0 and figures["longest_wait_s"] == 0.5


def test_unanswered_turns_count_as_the_longest_wait_and_every_target_is_checked():
    lost = turns(lambda t: 0.03, 20)
    lost[50] = Turn(started=5.0)  # never answered
    figures = recovery(lost, [(0.0, 20.0)], 0.04)[0]
    assert figures["longest_wait_s"] == 120.0
    result = {"recovery": [{"fault": "kill rasa-1", **figures}], "longest_wait_s": 120.0, "turns_resent": 1,
              "p95_ms": {"before": 40, "after": 90}}
    problems = recovery_problems(result)
    assert len(problems) == 3 and any("sent again" in p for p in problems) and any("after the faults" in p for p in problems)
