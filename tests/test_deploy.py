"""deploy/ must say what the repository says. Fast, offline: parses
deploy/compose.yml, the Helm values, the Dockerfile and the balancer configs
against scripts/env.sh, scripts/run.sh, scripts/setup.sh, endpoints.yml,
credentials.yml and the code's environment reads. Each failure names what
drifted and where to fix it."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HELM = DEPLOY / "helm"

# The contract shared by the local cluster, compose and Kubernetes.
SERVICES = {"postgres": 5432, "redis": 6379, "rasa": 5005, "actions": 5055, "balancer": 80}
RASA_RELEASE, ACTIONS_RELEASE = "dana", "dana-actions"  # helm install names (deploy/helm/README.md)
# Values that must never be written into the repository.
SECRETS = {"RASA_AUTH_TOKEN", "DANA_DATABASE_URL", "POSTGRES_PASSWORD", "TELEGRAM_BOT_TOKEN",
           "TELEGRAM_WEBHOOK_SECRET", "META_APP_SECRET", "META_VERIFY_TOKEN", "META_PAGE_ACCESS_TOKEN",
           "WHATSAPP_ACCESS_TOKEN", "VOICE_GATEWAY_TOKEN", "DANA_HANDOFF_WEBHOOK_URL",
           "DANA_HANDOFF_WEBHOOK_SECRET", "DANA_OPERATOR_API_TOKEN", "CHATWOOT_API_TOKEN",
           "CHATWOOT_WEBHOOK_TOKEN"}
# Read by the code, but their defaults are right in a container (ports = the contract).
# Unset in a deployment is right (DANA_ASTANA_TIME fixes the clock for demos and tests only).
DEFAULTS_ARE_FINE = {"RASA_PORT", "ACTION_PORT", "DANA_LOG_LEVEL", "DANA_ASTANA_TIME"}

# Key paths of Rasa's charts that these values rely on, checked against
# github.com/RasaHQ/helm-charts@94fba4b (rasa 1.17.8, rasa-action-server 1.0.9)
# charts/*/values.yaml. A path covers everything below it. Add a key only
# after finding it there.
RASA_CHART_KEYS = """
image.repository image.tag image.pullPolicy replicaCount command args extraEnv
applicationSettings.port applicationSettings.enableAPI applicationSettings.initialModel
applicationSettings.trainInitialModel applicationSettings.telemetry.enabled
applicationSettings.credentials.enabled applicationSettings.credentials.additionalChannelCredentials
applicationSettings.endpoints.trackerStore.enabled applicationSettings.endpoints.trackerStore.type
applicationSettings.endpoints.trackerStore.url applicationSettings.endpoints.trackerStore.dialect
applicationSettings.endpoints.trackerStore.port applicationSettings.endpoints.trackerStore.username
applicationSettings.endpoints.trackerStore.password applicationSettings.endpoints.trackerStore.db
applicationSettings.endpoints.trackerStore.login_db
applicationSettings.endpoints.lockStore.enabled applicationSettings.endpoints.lockStore.type
applicationSettings.endpoints.lockStore.url applicationSettings.endpoints.lockStore.port
applicationSettings.endpoints.lockStore.db applicationSettings.endpoints.lockStore.password
applicationSettings.endpoints.action.endpointURL applicationSettings.endpoints.additionalEndpoints
rasa-action-server.install rasa-action-server.external.enabled rasa-action-server.external.url
podSecurityContext securityContext livenessProbe readinessProbe resources
autoscaling.enabled autoscaling.minReplicas autoscaling.maxReplicas autoscaling.targetCPUUtilizationPercentage
volumes volumeMounts nginx.enabled ingress.enabled ingress.hostname ingress.annotations ingress.tls
global.postgresql.postgresqlUsername global.postgresql.postgresqlDatabase
global.postgresql.postgresqlPassword global.postgresql.existingSecret global.redis.password
postgresql.install redis.install redis.replica.replicaCount redis.auth.password podAnnotations
""".split() + [
    # Not in values.yaml but read by the chart's templates (rasa-common 1.0.x).
    "postgresql.existingSecretKey", "redis.existingSecret",
    # Bitnami redis 15.7.6, the chart's dependency.
    "redis.architecture", "redis.master.persistence.enabled", "redis.auth.enabled",
    "redis.auth.existingSecret", "redis.auth.existingSecretPasswordKey",
]
ACTION_CHART_KEYS = """
image.repository image.tag image.pullPolicy replicaCount command args extraEnv
applicationSettings.port service.port podSecurityContext securityContext
livenessProbe readinessProbe resources volumes volumeMounts podAnnotations
""".split()
# Chart defaults (values.yaml) that Helm merges under ours; null removes one.
RASA_CHART_DEFAULTS = {
    "trackerStore": {"dialect": "postgresql", "url": "${DB_HOST}", "port": "${DB_PORT}",
                     "username": "${DB_USER}", "password": "${DB_PASSWORD}", "db": "${DB_DATABASE}",
                     "login_db": "${DB_DATABASE}"},
    "lockStore": {"type": "redis", "url": "${REDIS_HOST}", "port": "${REDIS_PORT}",
                  "password": "${REDIS_PASSWORD}", "db": "1"},
}


# ---------------------------------------------------------------- helpers

def load(path: Path):
    return yaml.safe_load(path.read_text())


def read(path: str) -> str:
    return (ROOT / path).read_text()


def config_vars() -> set[str]:
    """Every ${VAR} of the Rasa server's endpoints.yml and credentials.yml."""
    return {v for name in ("credentials.yml", "endpoints.yml")
            for v in re.findall(r"\$\{(\w+)\}", read(name))}


def env_sh_vars() -> set[str]:
    return set(re.findall(r"^export (\w+)=", read("scripts/env.sh"), re.M))


ENV_READ = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\s*\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def code_env_reads_file(path: Path) -> set[str]:
    return set(ENV_READ.findall(path.read_text()))


def code_env_reads(*folders: str) -> set[str]:
    return {name for folder in folders for path in (ROOT / folder).rglob("*.py")
            if "tests" not in path.parts for name in code_env_reads_file(path)}


def rasa_needs() -> set[str]:
    return (config_vars() | {"RASA_AUTH_TOKEN"} | code_env_reads("channels", "bot")) - DEFAULTS_ARE_FINE


# bot/server/ runs only inside the Rasa server: what it reads is not the action server's business —
# but for the metrics, which the action server serves too (rasa_sdk_plugins → action_server.py).
ACTION_SERVER_TOO = {"bot/server/metrics.py", "bot/server/action_server.py"}
RASA_SERVER_ONLY = tuple(str(p.relative_to(ROOT)) for p in (ROOT / "bot" / "server").rglob("*.py")
                         if str(p.relative_to(ROOT)) not in ACTION_SERVER_TOO)
# In bot/config.py, used inside the Rasa server only: the message guard's limit, the console's labelled file.
RASA_SERVER_SETTINGS = {"DANA_RATE_LIMIT", "DANA_LABELLED_FILE"}


def actions_need() -> set[str]:
    shared = {name for path in (ROOT / "bot").rglob("*.py")
              if str(path.relative_to(ROOT)) not in RASA_SERVER_ONLY for name in code_env_reads_file(path)}
    return (code_env_reads("actions") | shared) - DEFAULTS_ARE_FINE - RASA_SERVER_SETTINGS


def shell_words(text: str) -> list[str]:
    return shlex.split(text.replace("\\\n", " "))


def run_sh_command(marker: str) -> list[str]:
    """The words of scripts/run.sh's command line starting with ``marker``."""
    text = read("scripts/run.sh").replace("\\\n", " ")
    line = next(l for l in text.splitlines() if marker in l)
    return shell_words(line.split(">")[0])


def expected_server_flags() -> dict[str, str | None]:
    """run.sh's Rasa server flags: literal values must match; ${…} values are
    per-machine (-i: a container listens on all interfaces; -p: the contract)."""
    words = run_sh_command('bot.server run --enable-api')
    auth = next(a for a in re.findall(r"auth=\((.*)\)", read("scripts/run.sh")) if a)
    words = [w for word in words for w in (shell_words(auth) if word == "${auth[@]}" else [word])]
    flags, i = {}, words.index("run") + 1
    while i < len(words):
        flag = words[i]
        value = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("-") else None
        flags[flag] = None if value is None or "$" in value else value
        i += 2 if value is not None else 1
    flags.pop("-i", None)
    flags["-p"] = str(SERVICES["rasa"])
    return flags


def check_server_command(words: list[str], where: str, token_ref: str) -> None:
    words = words[words.index("run"):]  # after the launcher (python -m bot.server)
    for flag, value in expected_server_flags().items():
        assert flag in words, f"{where}: Rasa server command lacks {flag} (scripts/run.sh has it)"
        if value is not None:
            got = words[words.index(flag) + 1]
            assert got == value, f"{where}: {flag} {got!r}, scripts/run.sh says {value!r}"
    token = words[words.index("--auth-token") + 1]
    assert token_ref in token, f"{where}: --auth-token {token!r} is not {token_ref}"


def check_actions_command(words: list[str], where: str) -> None:
    expected = run_sh_command('rasa" run actions')
    expected = expected[expected.index("run"):]
    expected[expected.index("--port") + 1] = str(SERVICES["actions"])
    assert words[words.index("run"):] == expected, f"{where}: action server command {words}, expected {expected}"


def merge(defaults: dict, values: dict) -> dict:
    """Helm's coalescing: ours over the chart's, null deletes."""
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def leaf_paths(node, prefix=()):
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaf_paths(value, prefix + (key,))
    else:
        yield ".".join(prefix)


def chart_env(values: dict) -> list[str]:
    """Variables the rasa chart puts in the container before extraEnv
    (templates/_containers-env.yaml, rasa-common's _postgresql/_redis.tpl)."""
    endpoints = values["applicationSettings"]["endpoints"]
    names = []
    if endpoints["trackerStore"].get("enabled") and values.get("postgresql", {}).get("install", True):
        names += ["DB_USER", "DB_HOST", "DB_PORT", "DB_DATABASE", "DB_PASSWORD"]
    if endpoints["lockStore"].get("enabled") and values.get("redis", {}).get("install"):
        names += ["REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"]
    if values.get("rasa-action-server", {}).get("external", {}).get("url"):
        names.append("ACTION_SERVER_URL")
    return names + ["RASA_TELEMETRY_ENABLED", "MPLCONFIGDIR", "TF_CPP_MIN_LOG_LEVEL", "RASA_TOKEN", "JWT_SECRET"]


def env_list(values: dict) -> dict:
    return {item["name"]: item for item in values.get("extraEnv", [])}


def haproxy_sections(cfg: str) -> dict[str, list[str]]:
    """{"backend rasa": [lines without comments], …}"""
    sections, current = {}, None
    for raw in cfg.splitlines():
        line = raw.split("#")[0].strip()
        if not line:
            continue
        if not raw[0].isspace():
            current = " ".join(line.split()[:2])
            sections[current] = []
        elif current:
            sections[current].append(" ".join(line.split()))
    return sections


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def compose():
    return load(DEPLOY / "compose.yml")


@pytest.fixture(scope="module")
def helm_rasa():
    return load(HELM / "values-rasa.yaml")


@pytest.fixture(scope="module")
def helm_actions():
    return load(HELM / "values-action-server.yaml")


# ---------------------------------------------------------------- env.sh, code

def test_env_sh_defines_every_variable_the_config_files_use():
    missing = config_vars() - env_sh_vars()
    assert not missing, f"endpoints.yml/credentials.yml use {sorted(missing)}, which scripts/env.sh does not set"


def test_run_sh_starts_the_api_only_with_a_token():
    flags = expected_server_flags()
    for flag in ("--enable-api", "--auth-token", "-m", "--endpoints", "--credentials"):
        assert flag in flags, f"scripts/run.sh no longer passes {flag}: update deploy/ and this test together"


# ---------------------------------------------------------------- compose

def test_compose_has_the_contract_services(compose):
    services = compose["services"]
    missing = (set(SERVICES) | {"init"}) - set(services)
    assert not missing, f"deploy/compose.yml lacks services {sorted(missing)}"
    assert services["postgres"]["image"].startswith("postgres:15"), "compose postgres is not postgres:15"
    assert services["redis"]["image"].startswith("redis"), "compose redis is not a redis image"
    assert services["balancer"]["image"].startswith("haproxy"), "compose balancer is not HAProxy"
    assert f"{SERVICES['balancer']}:80" in services["balancer"]["ports"][0], "compose balancer is not public on 80"
    assert services["init"]["command"] == ["python", "-m", "bot", "init", "--seed"], "compose init drifted"
    for name in ("rasa", "actions"):
        assert services[name].get("deploy", {}).get("replicas", 1) >= 2, f"compose {name} has fewer than 2 replicas"
    for name in ("postgres", "redis", "rasa", "actions"):
        assert "healthcheck" in services[name], f"compose {name} has no healthcheck"


def test_compose_commands_match_run_sh(compose):
    services = compose["services"]
    rasa = services["rasa"]["command"]
    words = shell_words(rasa[-1].replace("$$", "$")) if rasa[0] == "sh" else rasa
    check_server_command(words, "compose rasa", "$RASA_AUTH_TOKEN")
    check_actions_command(services["actions"]["command"], "compose actions")


def test_compose_health_endpoints(compose):
    services = compose["services"]
    rasa_check = " ".join(services["rasa"]["healthcheck"]["test"])
    assert f":{SERVICES['rasa']}/webhooks/health" in rasa_check, "compose rasa healthcheck is not its readiness"
    assert f":{SERVICES['actions']}/health" in " ".join(services["actions"]["healthcheck"]["test"]), \
        "compose actions healthcheck is not GET /health"


def test_compose_gives_each_server_what_it_reads(compose):
    services = compose["services"]
    missing = rasa_needs() - set(services["rasa"]["environment"])
    assert not missing, f"compose rasa service lacks {sorted(missing)} (read by endpoints/credentials.yml or the code)"
    missing = actions_need() - set(services["actions"]["environment"])
    assert not missing, f"compose actions service lacks {sorted(missing)} (read by actions/ or bot/)"
    env = services["rasa"]["environment"]
    assert env["DANA_LOCK_STORE"] == "redis", "compose: several Rasa servers need DANA_LOCK_STORE=redis"
    assert (env["REDIS_HOST"], env["REDIS_PORT"]) == ("redis", str(SERVICES["redis"])), "compose: Redis address drifted"
    for name in ("rasa", "actions", "init"):
        url = urlsplit(re.sub(r"\$\{[^}]*\}", "x", services[name]["environment"]["DANA_DATABASE_URL"]))
        assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", SERVICES["postgres"]), \
            f"compose {name}: DANA_DATABASE_URL does not point at the postgres service"
    action_url = urlsplit(env["ACTION_SERVER_URL"])
    assert (action_url.hostname, action_url.port, action_url.path) == ("balancer", SERVICES["actions"], "/webhook"), \
        "compose: ACTION_SERVER_URL is not the balancer's action-server frontend"


def test_compose_takes_secrets_only_from_the_environment(compose):
    for service_name, service in compose["services"].items():
        for name, value in (service.get("environment") or {}).items():
            if name in SECRETS:
                assert re.search(r"\$\{\w+", str(value)), f"compose {service_name}: {name} is a literal value"
                if "://" in str(value) and "@" in str(value):
                    password = str(value).split("://", 1)[1].split("@")[0].partition(":")[2]
                    assert password.startswith("${"), f"compose {service_name}: {name} has a literal password"
    token = compose["services"]["rasa"]["environment"]["RASA_AUTH_TOKEN"]
    assert token.startswith("${RASA_AUTH_TOKEN:?"), \
        "compose: RASA_AUTH_TOKEN must be required (${RASA_AUTH_TOKEN:?…}); empty leaves the HTTP API open"


# ---------------------------------------------------------------- Dockerfile

def test_dockerfile_builds_what_the_scripts_build():
    text = (DEPLOY / "Dockerfile").read_text()
    final = text.split("\nFROM python:")[-1]
    assert "\nFROM python:3.10-slim" in text, "deploy/Dockerfile: the base is not python:3.10-slim"
    assert "pip install -r requirements.txt -c constraints.txt" in final, "Dockerfile: not the pinned install"
    def train_words(text: str) -> list[str]:
        words = shell_words(re.search(r"rasa\"? (train (?:\\\n|[^\n])*)", text).group(1).split("&&")[0])[1:]
        return [w for w in words if not w.startswith((">", "2>")) and w not in ("2>&1;", "then")]
    train, got = train_words(read("scripts/setup.sh")), train_words(final)
    assert got == train, f"Dockerfile trains with {got}, scripts/setup.sh with {train}"
    users = re.findall(r"^USER (\S+)", final, re.M)
    assert users and users[-1] not in ("root", "0"), "Dockerfile: the image must run as a non-root user"
    cmd = shell_words(" ".join(json.loads(re.search(r"^CMD (.*)$", final, re.M).group(1))[2:]))
    check_server_command(cmd, "Dockerfile CMD", "RASA_AUTH_TOKEN:?")
    ignored = set((ROOT / ".dockerignore").read_text().split())
    missing = {"models", ".venv", "var", ".git"} - ignored
    assert not missing, f".dockerignore lets {sorted(missing)} into the image (model is trained there; no local state)"


# ---------------------------------------------------------------- Helm

@pytest.mark.parametrize("name, known", [("values-rasa.yaml", RASA_CHART_KEYS),
                                          ("values-action-server.yaml", ACTION_CHART_KEYS)])
def test_helm_values_use_only_keys_the_charts_have(name, known):
    unknown = [p for p in leaf_paths(load(HELM / name))
               if not any(p == k or p.startswith(k + ".") for k in known)]
    assert not unknown, f"deploy/helm/{name}: {unknown} are not keys of Rasa's chart (see RASA_CHART_KEYS)"


def test_helm_renders_the_same_channels_as_credentials_yml(helm_rasa):
    def normalise(node):  # `rest:` (None) and `rest: {}` are the same to Rasa
        return {k: normalise(v) for k, v in node.items()} if isinstance(node, dict) else ({} if node is None else node)
    rendered = normalise(helm_rasa["applicationSettings"]["credentials"]["additionalChannelCredentials"])
    repo = normalise(load(ROOT / "credentials.yml"))
    for channel in sorted(set(rendered) | set(repo)):
        assert rendered.get(channel) == repo.get(channel), \
            f"values-rasa.yaml channel {channel} differs from credentials.yml: {rendered.get(channel)} vs {repo.get(channel)}"


def test_helm_renders_the_same_endpoints_as_endpoints_yml(helm_rasa):
    endpoints = load(ROOT / "endpoints.yml")
    values = helm_rasa["applicationSettings"]["endpoints"]
    tracker = merge(RASA_CHART_DEFAULTS["trackerStore"], values["trackerStore"])
    tracker.pop("enabled")
    assert tracker == endpoints["tracker_store"], \
        f"Helm tracker_store renders {tracker}, endpoints.yml says {endpoints['tracker_store']} (null the chart's defaults)"
    lock = merge(RASA_CHART_DEFAULTS["lockStore"], values["lockStore"])
    lock.pop("enabled")
    assert lock.pop("password") == "${REDIS_PASSWORD}", "Helm lock store must use the chart's Redis password"
    assert lock == endpoints["lock_store"], f"Helm lock_store renders {lock}, endpoints.yml says {endpoints['lock_store']}"
    extra = values.get("additionalEndpoints", {})
    for key in set(endpoints) - {"tracker_store", "lock_store", "action_endpoint"}:
        assert extra.get(key) == endpoints[key], f"Helm additionalEndpoints.{key} differs from endpoints.yml"
    # The chart writes only action_endpoint.url: ${ACTION_SERVER_URL}. Its
    # servers send actions the whole domain, which the validators then use
    # instead of reading domain/ (bot/project_domain.py): both work.
    assert endpoints["action_endpoint"] == {"url": "${ACTION_SERVER_URL}", "enable_selective_domain": True}, \
        "endpoints.yml action_endpoint changed"


def test_helm_gives_each_server_what_it_reads(helm_rasa, helm_actions):
    provided = set(chart_env(helm_rasa)) | set(env_list(helm_rasa))
    missing = rasa_needs() - provided
    assert not missing, f"values-rasa.yaml extraEnv lacks {sorted(missing)}"
    missing = actions_need() - set(env_list(helm_actions))
    assert not missing, f"values-action-server.yaml extraEnv lacks {sorted(missing)}"
    assert env_list(helm_rasa)["DANA_LOCK_STORE"]["value"] == "redis", "Helm: several servers need the Redis lock store"
    assert helm_rasa["redis"]["install"] and helm_rasa["postgresql"]["install"], "Helm: Redis/PostgreSQL not installed"


@pytest.mark.parametrize("name", ["values-rasa.yaml", "values-action-server.yaml"])
def test_helm_env_references_are_defined_before_use(name):
    """Kubernetes expands $(VAR) only from variables listed earlier."""
    values = load(HELM / name)
    defined = chart_env(values) if "applicationSettings" in values and "endpoints" in values["applicationSettings"] else []
    items = values.get("extraEnv", [])
    for item in items:
        for ref in re.findall(r"\$\((\w+)\)", str(item.get("value", ""))):
            assert ref in defined, f"{name}: {item['name']} uses $({ref}) before it is defined"
        defined.append(item["name"])
    for ref in re.findall(r"\$\((\w+)\)", " ".join(map(str, values.get("args", [])))):
        assert ref in defined, f"{name}: args use $({ref}), which the container does not have"


def test_helm_takes_secrets_only_from_kubernetes_secrets(helm_rasa, helm_actions):
    for label, values in (("values-rasa.yaml", helm_rasa), ("values-action-server.yaml", helm_actions)):
        from_secrets = {"DB_PASSWORD", "REDIS_PASSWORD"} | {
            n for n, item in env_list(values).items() if "secretKeyRef" in item.get("valueFrom", {})}
        for name, item in env_list(values).items():
            if name in SECRETS or "PASSWORD" in name:
                refs = set(re.findall(r"\$\((\w+)\)", str(item.get("value", ""))))
                assert "valueFrom" in item or refs & from_secrets, f"{label}: {name} is a literal value"
    token = env_list(helm_rasa)["RASA_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert not token.get("optional"), "values-rasa.yaml: RASA_AUTH_TOKEN must be required (no token = open API)"
    assert "token" not in helm_rasa["applicationSettings"], \
        "values-rasa.yaml: the chart's applicationSettings.token would be a value; use dana-secrets' RASA_AUTH_TOKEN"
    passwords = [p for p in leaf_paths(helm_rasa) if p.lower().endswith("password")]
    for path in passwords:
        value = path_get(helm_rasa, path)
        assert value in ("", None) or str(value).startswith("${"), f"values-rasa.yaml: {path} is a literal password"
    assert helm_rasa["global"]["postgresql"]["existingSecret"] and helm_rasa["redis"]["auth"]["existingSecret"], \
        "values-rasa.yaml: PostgreSQL and Redis passwords must come from existing Secrets"


def path_get(node, path: str):
    for key in path.split("."):
        node = node[key]
    return node


def test_helm_commands_ports_and_probes(helm_rasa, helm_actions):
    check_server_command([str(a) for a in helm_rasa["command"] + helm_rasa["args"]], "values-rasa.yaml args",
                         "$(RASA_AUTH_TOKEN)")
    assert helm_rasa["applicationSettings"]["port"] == SERVICES["rasa"], "values-rasa.yaml: port is not 5005"
    assert helm_rasa["readinessProbe"]["httpGet"]["path"] == "/webhooks/health", "Helm Rasa readiness drifted"
    assert helm_rasa["livenessProbe"]["httpGet"]["path"] == "/", "Helm Rasa liveness drifted"
    assert "channels.health.HealthInput" in load(ROOT / "credentials.yml"), "credentials.yml lost the readiness endpoint"
    check_actions_command([str(a) for a in helm_actions["command"] + helm_actions["args"]], "values-action-server.yaml")
    assert helm_actions["applicationSettings"]["port"] == SERVICES["actions"], "values-action-server.yaml: port is not 5055"
    for probe in ("readinessProbe", "livenessProbe"):
        assert helm_actions[probe]["httpGet"]["path"] == "/health", f"Helm action server {probe} drifted"
    assert helm_rasa["replicaCount"] >= 2 and helm_actions["replicaCount"] >= 2, "Helm: fewer than 2 replicas"
    assert helm_rasa["applicationSettings"]["initialModel"] == "" and not helm_rasa["applicationSettings"][
        "trainInitialModel"], "values-rasa.yaml: the model is in the image; nothing may be downloaded or trained at start"


def test_helm_releases_find_each_other(helm_rasa, helm_actions):
    url = urlsplit(helm_rasa["rasa-action-server"]["external"]["url"])
    assert url.hostname == f"{ACTIONS_RELEASE}-rasa-action-server", f"Helm: action server URL host {url.hostname}"
    assert (url.port or 80) == helm_actions.get("service", {}).get("port", 80) and url.path == "/webhook", \
        "Helm: the action server URL does not match its Service port or /webhook"
    database = urlsplit(env_list(helm_actions)["DANA_DATABASE_URL"]["value"])
    pg = helm_rasa["global"]["postgresql"]
    assert (database.hostname, database.port, database.username, database.path) == (
        f"{RASA_RELEASE}-postgresql", SERVICES["postgres"], pg["postgresqlUsername"], "/" + pg["postgresqlDatabase"]), \
        "values-action-server.yaml: DANA_DATABASE_URL is not the Rasa release's PostgreSQL"


# ---------------------------------------------------------------- balancers

def test_compose_balancer_routes_like_the_local_cluster():
    compose_cfg = haproxy_sections((DEPLOY / "compose-haproxy.cfg").read_text())
    assert any(f"rasa:{SERVICES['rasa']}" in l for l in compose_cfg["backend rasa"]), "compose-haproxy: rasa backend"
    assert any(f"rasa:{SERVICES['rasa']}" in l for l in compose_cfg["backend socketio"]), "compose-haproxy: socketio"
    assert any(f"actions:{SERVICES['actions']}" in l for l in compose_cfg["backend actions"]), "compose-haproxy: actions"
    assert f"bind :{SERVICES['balancer']}" in compose_cfg["frontend public"], "compose-haproxy: public bind is not :80"
    assert f"bind :{SERVICES['actions']}" in compose_cfg["frontend actions"], "compose-haproxy: actions frontend bind"
    local = DEPLOY / "haproxy.cfg"
    if not local.exists():
        pytest.skip("deploy/haproxy.cfg (local cluster) not written yet")
    local_cfg = haproxy_sections(local.read_text())
    # Where the servers are differs (fixed local ports vs Docker DNS); how requests are routed must not.
    placement = ("bind", "server ", "server-template", "resolvers", "dynamic-cookie-key", "cookie ")
    for section in ("defaults", "frontend public", "frontend actions", "backend rasa", "backend socketio",
                    "backend actions"):
        assert section in local_cfg, f"deploy/haproxy.cfg has no '{section}' (the contract's routing)"
        ours = {l for l in compose_cfg.get(section, []) if not l.startswith(placement)}
        theirs = {l for l in local_cfg[section] if not l.startswith(placement)}
        ours = {re.sub(r" (resolvers \w+|init-addr \w+)", "", l) for l in ours}
        assert ours == theirs, f"compose-haproxy.cfg '{section}' differs from deploy/haproxy.cfg: " \
                               f"only compose {sorted(ours - theirs)}, only local {sorted(theirs - ours)}"
    for cfg, label in ((compose_cfg, "compose-haproxy.cfg"), (local_cfg, "haproxy.cfg")):
        assert any(l.startswith("cookie ") for l in cfg["backend socketio"]), f"{label}: Socket.IO is not sticky"


# ---------------------------------------------------------------- metrics

METRICS_SERVERS = {"rasa": RASA_RELEASE, "actions": ACTIONS_RELEASE}  # compose service → Prometheus job
METRICS_PATH = "/metrics"


def exposed_metrics() -> tuple[set[str], set[str]]:
    """(every sample name Dana's registry serves, the names of Dana's own metric families)."""
    from bot.server import metrics

    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
                "gauge": ("",), "info": ("_info",)}
    names, families = set(), set()
    for family in metrics.REGISTRY.collect():
        names |= {s.name for s in family.samples} | {family.name + s for s in suffixes.get(family.type, ("",))}
        if family.name.startswith("dana_"):
            families.add(family.name)
    return names, families


def test_prometheus_scrapes_every_server_of_compose_directly(compose):
    config = load(DEPLOY / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {}
    for name, job in jobs.items():
        assert job.get("metrics_path", METRICS_PATH) == METRICS_PATH, f"prometheus.yml {name}: not {METRICS_PATH}"
        for sd in job.get("dns_sd_configs", []):
            assert sd.get("type") == "A", f"prometheus.yml {name}: one address per replica is an A lookup"
            targets |= {(host, sd["port"]): name for host in sd["names"]}
        for static in job.get("static_configs", []):
            targets |= {(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])): name for t in static["targets"]}
    expected = {(service, SERVICES[service]): job for service, job in METRICS_SERVERS.items()}
    assert targets == expected, f"deploy/prometheus.yml scrapes {targets}, compose serves /metrics at {expected}"
    for (host, _), _job in targets.items():
        assert host in compose["services"], f"prometheus.yml: {host} is not a compose service"
    prometheus = compose["services"]["prometheus"]
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"], \
        "compose prometheus does not read deploy/prometheus.yml"
    assert all(str(p).startswith("127.0.0.1:") for p in prometheus.get("ports", [])), \
        "compose prometheus must listen on this host only"
    assert prometheus.get("profiles"), "compose prometheus is optional (a profile), not part of every `up`"


def test_helm_pods_are_annotated_for_prometheus(helm_rasa, helm_actions):
    for label, values in (("values-rasa.yaml", helm_rasa), ("values-action-server.yaml", helm_actions)):
        annotations = values.get("podAnnotations") or {}
        assert annotations.get("prometheus.io/scrape") == "true", f"{label}: pods not marked for scraping"
        assert annotations.get("prometheus.io/port") == str(values["applicationSettings"]["port"]), \
            f"{label}: prometheus.io/port is not the server's port"
        assert annotations.get("prometheus.io/path") == METRICS_PATH, f"{label}: prometheus.io/path"


def test_the_public_balancers_do_not_serve_metrics():
    for name in ("haproxy.cfg", "compose-haproxy.cfg"):
        public = haproxy_sections((DEPLOY / name).read_text())["frontend public"]
        assert any(line.startswith("http-request deny") and "metrics" in line for line in public), \
            f"deploy/{name}: the public frontend passes /metrics on (Prometheus scrapes the servers directly)"
    assert "channels.metrics.MetricsInput" in load(ROOT / "credentials.yml"), "credentials.yml lost GET /metrics"


def test_the_grafana_dashboard_queries_what_dana_serves():
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    panels = dashboard["panels"]
    assert panels and dashboard.get("uid") and dashboard.get("title"), "grafana-dashboard.json: no panels, uid or title"
    assert len({p["id"] for p in panels}) == len(panels), "grafana-dashboard.json: panel ids repeat"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables.get("datasource", {}).get("query") == "prometheus", \
        "grafana-dashboard.json: no Prometheus data source variable"
    exposed, families = exposed_metrics()
    queried = set()
    for panel in panels:
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), f"panel {panel['title']}: gridPos"
        assert panel["targets"], f"panel {panel['title']}: no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", f"panel {panel['title']}: fixed data source"
            queried |= set(re.findall(r"\b(?:dana|process|python)_[a-z_]+\b", target["expr"]))
    unknown = queried - exposed
    assert not unknown, f"grafana-dashboard.json queries {sorted(unknown)}, which bot/server/metrics.py does not serve"
    missing = {f for f in families if not any(q.startswith(f) for q in queried)}
    assert not missing, f"grafana-dashboard.json shows nothing of {sorted(missing)}"
    documented = (ROOT / "docs" / "metrics.md").read_text()
    undocumented = {f for f in families if f not in documented}
    assert not undocumented, f"docs/metrics.md does not explain {sorted(undocumented)}"
