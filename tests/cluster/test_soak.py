"""The soak run, small: 100 conversations of every flow in both languages
through the balancer while a Rasa server is killed and restarted. Nothing
may be filed twice or lost, nobody writes again and nobody waits more than
10 s (the full run with every fault and its recovery figures: make soak)."""
from __future__ import annotations

import asyncio
import argparse


def test_no_request_is_lost_or_duplicated_when_a_server_dies(cluster):
    from bench.soak import report, run

    args = argparse.Namespace(conversations=100, concurrency=8, faults="kill-rasa", seed=11)
    result = asyncio.run(run(args, cluster))
    report(result)
    assert result["completed"] == 100
    assert result["turns_without_reply"] == 0
    assert sum(result["duplicates"].values()) == 0, result["duplicates"]
    assert sum(result["lost"].values()) == 0, result["lost"]
    assert result["turns_processed_twice"] == 0
    # The killed server's customers are answered within seconds, none has to write again.
    assert result["turns_resent"] == 0, result["resent_because"]
    assert result["longest_wait_s"] <= 10, result["recovery"]
    assert [fault for _, fault in result["faults"]][0].startswith("kill rasa-1")
