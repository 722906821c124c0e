"""A whole cluster (scripts/cluster.sh: Redis, PostgreSQL, two Rasa servers, two
action servers, HAProxy) on free ports, its own database and directory;
started once for tests/cluster and stopped after."""
from __future__ import annotations

import os
import random
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "dana.tar.gz"
OPERATOR_TOKEN = "cluster-operator-token"  # the operator API on both servers


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_base_port() -> int:
    """A base whose derived ports (base+1, +2, +50, +51, +52) are all free."""
    for _ in range(100):
        base = random.randrange(20000, 40000, 100)
        if all(_free(base + offset) for offset in (1, 2, 50, 51, 52)):
            return base
    raise RuntimeError("no free port range")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the cluster installs and starts PostgreSQL, Redis and HAProxy: needs root (as on CI)")
    if not MODEL.exists():
        pytest.skip("needs the trained model: run scripts/setup.sh (make test does)")
    from bench.soak import Cluster

    directory = tmp_path_factory.mktemp("cluster")
    os.environ.pop("RASA_AUTH_TOKEN", None)  # the cluster generates its own
    instance = Cluster(port=free_port(), base_port=free_base_port(), redis_port=free_port(),
                       database="dana_cluster_test", directory=directory)
    instance.env["DANA_OPERATOR_API_TOKEN"] = OPERATOR_TOKEN
    try:
        instance.run("up")
    except RuntimeError:
        instance.run("down", check=False)
        raise
    instance.base_port = int(instance.env["DANA_CLUSTER_BASE_PORT"])
    yield instance
    instance.run("down", check=False)
    for log in sorted((directory / "log").glob("*.log")):
        print(f"--- {log.name} (tail)\n{log.read_text(errors='replace')[-1500:]}")


def cluster_cli(instance, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "cluster.sh"), *args], cwd=ROOT, env=instance.env,
                          capture_output=True, text=True)
