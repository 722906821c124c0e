"""deploy/ says what the repository says: the same services, ports, settings and
channel configuration as scripts/env.sh, endpoints.yml, credentials.yml and the
local cluster. Each failure names what drifted."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"

# Contract shared by the local cluster, compose and Kubernetes.
RASA_PORT, ACTIONS_PORT = 5005, 5055
SECRETS = {"RASA_AUTH_TOKEN", "DANA_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
           "META_APP_SECRET", "META_VERIFY_TOKEN", "META_PAGE_ACCESS_TOKEN", "WHATSAPP_ACCESS_TOKEN",
           "VOICE_GATEWAY_TOKEN", "DANA_HANDOFF_WEBHOOK_URL", "DANA_HANDOFF_WEBHOOK_SECRET"}
# What the action server reads (bot/config.py settings, hand-off delivery).
ACTIONS_ENV = {"DANA_DATABASE_URL", "DANA_RECEIPTS_DIR", "DANA_HANDOFF_WEBHOOK_URL", "DANA_HANDOFF_WEBHOOK_SECRET"}
SERVER_FLAGS = ["--enable-api", "--auth-token", "-m", "models/dana.tar.gz", "--endpoints", "endpoints.yml",
                "--credentials", "credentials.yml"]


def load(path: Path):
    return yaml.safe_load(path.read_text())


def config_vars() -> set[str]:
    """Every ${VAR} the Rasa server's config files need."""
    return {v for name in ("credentials.yml", "endpoints.yml")
            for v in re.findall(r"\$\{(\w+)\}", (ROOT / name).read_text())}


def rasa_env_needed() -> set[str]:
    return config_vars() | {"RASA_AUTH_TOKEN", "DANA_RECEIPTS_DIR"}


def env_sh_vars() -> set[str]:
    return set(re.findall(r"^export (\w+)=", (ROOT / "scripts" / "env.sh").read_text(), re.M))


def normalise(node):
    """YAML `rest:` (None) and `rest: {}` mean the same to Rasa."""
    if isinstance(node, dict):
        return {k: normalise(v) for k, v in node.items()}
    return {} if node is None else node


@pytest.fixture(scope="module")
def compose():
    return load(DEPLOY / "compose.yml")


@pytest.fixture(scope="module")
def helm_rasa():
    return load(DEPLOY / "helm" / "values-rasa.yaml")


@pytest.fixture(scope="module")
def helm_actions():
    return load(DEPLOY / "helm" / "values-action-server.yaml")


def test_env_sh_defines_every_variable_the_config_files_use():
    missing = config_vars() - env_sh_vars()
    assert not missing, f"scripts/env.sh does not define {sorted(missing)}"


def test_compose_has_the_services_of_the_cluster(compose):
    assert set(compose["services"]) >= {"postgres", "redis", "actions", "rasa", "balancer", "init"}


def test_compose_gives_each_server_what_it_reads(compose):
    services = compose["services"]
    missing = rasa_env_needed() - set(services["rasa"]["environment"])
    assert not missing, f"compose rasa service lacks {sorted(missing)}"
    missing = ACTIONS_ENV - set(services["actions"]["environment"])
    assert not missing, f"compose actions service lacks {sorted(missing)}"
    assert services["rasa"]["environment"]["DANA_LOCK_STORE"] == "redis", "several servers need the Redis lock store"


def test_compose_commands_match_run_sh(compose):
    rasa = " ".join(compose["services"]["rasa"]["command"])
    assert all(flag in rasa for flag in SERVER_FLAGS), f"compose rasa command drifted: {rasa}"
    assert f"-p {RASA_PORT}" in rasa
    assert compose["services"]["actions"]["command"][-1] == str(ACTIONS_PORT)
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    assert all(flag in run_sh for flag in ("--enable-api", "--endpoints endpoints.yml",
                                            "--credentials credentials.yml", "-m models/dana.tar.gz"))


def test_compose_takes_secrets_from_the_environment(compose):
    for service in compose["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if name in SECRETS or "PASSWORD" in name:
                assert "${" in str(value), f"compose sets {name} to a literal value"


def test_helm_renders_the_same_channels_as_credentials_yml(helm_rasa):
    rendered = helm_rasa["applicationSettings"]["credentials"]["additionalChannelCredentials"]
    assert normalise(rendered) == normalise(load(ROOT / "credentials.yml")), \
        "deploy/helm/values-rasa.yaml channels differ from credentials.yml"


def test_helm_renders_the_same_endpoints_as_endpoints_yml(helm_rasa):
    endpoints = load(ROOT / "endpoints.yml")
    values = helm_rasa["applicationSettings"]["endpoints"]
    tracker = {k: v for k, v in values["trackerStore"].items() if k != "enabled"}
    assert tracker == endpoints["tracker_store"], "Helm tracker store differs from endpoints.yml"
    lock = {k: v for k, v in values["lockStore"].items() if k != "enabled"}
    assert lock == endpoints["lock_store"], "Helm lock store differs from endpoints.yml"
    assert values["additionalEndpoints"]["nlg"] == endpoints["nlg"], "Helm NLG differs from endpoints.yml"
    # The chart writes action_endpoint.url: ${ACTION_SERVER_URL}, as endpoints.yml does.
    assert endpoints["action_endpoint"]["url"] == "${ACTION_SERVER_URL}"
    assert helm_rasa["rasa-action-server"]["external"]["url"].endswith("/webhook")


def _env_names(values) -> dict:
    return {item["name"]: item for item in values.get("extraEnv", [])}


def test_helm_gives_each_server_what_it_reads(helm_rasa, helm_actions):
    # The chart itself sets ACTION_SERVER_URL and passes the token as an argument.
    missing = rasa_env_needed() - {"ACTION_SERVER_URL", "RASA_AUTH_TOKEN"} - set(_env_names(helm_rasa))
    assert not missing, f"values-rasa.yaml extraEnv lacks {sorted(missing)}"
    missing = ACTIONS_ENV - set(_env_names(helm_actions))
    assert not missing, f"values-action-server.yaml extraEnv lacks {sorted(missing)}"


def test_helm_takes_secrets_from_kubernetes_secrets(helm_rasa, helm_actions):
    for values in (helm_rasa, helm_actions):
        for name, item in _env_names(values).items():
            if name in SECRETS:
                assert "valueFrom" in item and "value" not in item, f"Helm sets {name} to a literal value"
    assert not helm_rasa["applicationSettings"]["token"], "the API token must be set at install, not committed"


def test_helm_commands_ports_and_probes(helm_rasa, helm_actions):
    args = helm_rasa["args"]
    assert all(flag in args for flag in SERVER_FLAGS), f"Helm Rasa args drifted: {args}"
    assert args[args.index("-p") + 1] == str(RASA_PORT) == str(helm_rasa["applicationSettings"]["port"])
    assert helm_rasa["readinessProbe"]["httpGet"]["path"] == "/webhooks/health"
    assert "channels.health.HealthInput" in load(ROOT / "credentials.yml"), "the readiness endpoint is gone"
    assert helm_actions["args"][-1] == str(ACTIONS_PORT) == str(helm_actions["applicationSettings"]["port"])
    assert helm_actions["readinessProbe"]["httpGet"]["path"] == "/health"


def _backends(cfg: str) -> dict[str, str]:
    blocks = re.split(r"^(?=backend |frontend |defaults|global|resolvers )", cfg, flags=re.M)
    return {b.split()[1]: b for b in blocks if b.startswith("backend ")}


@pytest.mark.parametrize("name", ["haproxy.cfg", "compose-haproxy.cfg"])
def test_balancers_route_the_same_way(name):
    cfg = (DEPLOY / name).read_text()
    backends = _backends(cfg)
    assert set(backends) == {"rasa", "socketio", "actions"}, f"{name}: backends {sorted(backends)}"
    assert "cookie DANA_SRV insert" in backends["socketio"], f"{name}: Socket.IO is not sticky"
    assert "use_backend socketio if { path_beg /socket.io }" in cfg
    assert "http-request set-path /webhooks/health if { path /health }" in cfg
    assert "retry-on conn-failure" in cfg, f"{name}: a request that reached a server must not be re-sent"
    assert "GET /health" in backends["actions"]


def test_compose_balancer_finds_the_compose_services():
    backends = _backends((DEPLOY / "compose-haproxy.cfg").read_text())
    assert f"rasa:{RASA_PORT}" in backends["rasa"] and f"actions:{ACTIONS_PORT}" in backends["actions"]


def test_local_cluster_defines_what_its_balancer_reads():
    cfg = "\n".join(line.split("#")[0] for line in (DEPLOY / "haproxy.cfg").read_text().splitlines())
    cfg_vars = set(re.findall(r"\$\{(\w+)\}", cfg))
    cluster = (ROOT / "scripts" / "cluster.sh").read_text()
    defined = env_sh_vars() | set(re.findall(r"^export (\w+)=", cluster, re.M))
    assert cfg_vars <= defined, f"deploy/haproxy.cfg reads {sorted(cfg_vars - defined)}, which nothing sets"
