"""How the storm benchmark reads its runs (bench/storm.py), without a server."""
import math

from bench.storm import by_turn, by_turns, held, most_held, quantile, ramp_end, ratio, targets, turn_figures


def record(at, ms, ok=True, scenario="think", channel="rest", turn=1, error=None):
    return [at, ms, ok, scenario, channel, turn, error]


def test_figures_of_a_window_count_its_turns_errors_and_rate():
    records = [record(t, 10 + t) for t in range(100)] + [record(50.5, 900, ok=False, error="no answer in time")]
    records += [record(60, 5, scenario="long", channel="widget", turn=3)]
    figures = turn_figures(records, 40, 60, scenario="think")
    assert figures.count == 21 and figures.errors == 1 and figures.why == {"no answer in time": 1}
    assert figures.per_s == 21 / 20
    assert figures.p50 == 60 and figures.p99 == 900
    assert turn_figures(records, 40, 60, scenario="think", channel="widget").count == 0
    assert math.isnan(turn_figures([], 0, 1).p95)


def test_nearest_rank_quantiles():
    values = list(range(1, 101))
    assert quantile(values, 0.5) == 51 and quantile(values, 0.95) == 96 and quantile(values, 0.99) == 100


def test_latency_by_place_in_the_conversation_and_the_40th_over_the_4th():
    records = [record(0, 20 + (n == 40) * 4, scenario="long", turn=n) for n in range(1, 41) for _ in range(3)]
    records.append(record(0, 5000, ok=False, scenario="long", turn=4))  # an error is not a latency
    figures = by_turn(records)
    assert figures[4] == (3, 20, 20) and figures[40][1] == 24
    assert ratio(figures) == 1.2
    assert math.isnan(ratio(by_turn([])))
    assert by_turns(records, (2, 3, 4)) == (9, 20) and by_turns(records, (38, 39, 40)) == (9, 20)


def test_customers_held_sum_the_processes_once_per_bucket():
    samples = []
    for at in range(0, 30, 2):  # two processes, several samples a bucket
        ramped = min(at * 100, 1000)
        samples += [[1000 + at, ramped, ramped // 2, 1], [1000 + at + 0.5, ramped, ramped // 2, 2]]
    assert held(samples, 1010, 1030) == (2000, 1000)
    assert most_held(samples, 1000, 1030) == (2000, 1000)
    assert ramp_end(samples, 2000) == 1012.0
    assert ramp_end(samples, 5000) is None and held([], 0, 1) == (0, 0)


def _result(name, held_customers=5000, p95=120.0, errors=0, ratio_40_4=1.05, told=3000, filed=0, sockets=4000):
    turns = {"count": 1000, "errors": errors, "per_s": 250.0, "p50": 40.0, "p95": p95, "p99": p95 * 2, "why": {}}
    return {"deployment": name, "think": {"held": held_customers, "sockets": sockets, "all": turns},
            "sessions": {"open": 2000},
            "long": {"ratio_40_4": ratio_40_4, "late": (9, 24.0), "early": (9, 20.0), "ratio_late_early": 1.2},
            "outage": {"customers": 3000, "answered_with_eta": told, "all": {**turns, "p95": p95},
                       "filed": {"tickets": filed, "callbacks": 0}}}


def test_targets_say_met_or_by_how_much_they_are_missed():
    met = dict(targets([_result("single", held_customers=2500, sockets=2000), _result("cluster")],
                       {"variants": {"after": {"ratio_40_4": 1.0}}}))
    measured = {name: verdict for name, verdict in met.items() if not verdict.startswith("for information")}
    assert len(measured) == 5 and all(verdict.startswith("met") for verdict in measured.values()), met
    missed = dict(targets([_result("cluster", held_customers=4800, p95=450.0, told=2990, filed=2)],
                          {"variants": {"after": {"ratio_40_4": 1.5}}}))
    measured = {name: verdict for name, verdict in missed.items() if not verdict.startswith("for information")}
    assert len(measured) == 3 and all(verdict.startswith("MISSED") for verdict in measured.values()), missed
    assert any("p95 450 ms" in verdict for verdict in missed.values())
    # Latency of late vs early messages under load is shown, not judged: they come at different moments.
    assert any("1.20× (24 / 20 ms, 9 / 9 turns answered)" in verdict for verdict in missed.values())
