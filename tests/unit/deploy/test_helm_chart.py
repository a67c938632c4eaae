"""The Helm chart and the plain manifests (design §9), rendered offline with helm-python-sdk (Helm's own Go
SDK) and validated against Kubernetes schemas with kubernetes-validate. No cluster, no network."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml

helm = pytest.importorskip("helm_python")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy" / "helm" / "careline"
SERVICES = ["acd", "billing", "cdr", "crm", "ivr", "qa"]
REQUIRED = {
    "freeswitch": {"eslHost": "fs.voice.svc"},
    "secrets": {"eslPassword": "e" * 16, "jwtSecret": "j" * 16},
}
KUBE_VERSION = "1.30"

sys.path.insert(0, str(ROOT / "deploy"))
import drain  # noqa: E402
import render_k8s  # noqa: E402


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def render(values: dict | None = None) -> list[dict]:
    rendered = helm.Chart.load(CHART).render(
        values=_merge(REQUIRED, values or {}), name="careline", namespace="cl"
    )
    docs = []
    for path, text in rendered.items():
        if path.endswith(".yaml"):
            docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(deployment: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container(deployment)["env"]}


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return render()


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads((CHART / "values.schema.json").read_text())


# --- values and schema -------------------------------------------------------------------------------


def test_values_yaml_satisfies_the_schema(schema):
    jsonschema.validate(yaml.safe_load((CHART / "values.yaml").read_text()), schema)


@pytest.mark.parametrize(
    "override",
    [
        {"secrets": {"eslPassword": "ClueCon"}},
        {"services": {"ivr": {"enabled": True, "replicas": -1}}},
        {"services": {"pbx": {"enabled": True}}},
        {"services": {"acd": {"enabled": True, "env": {"lower-case": "x"}}}},
        {"environment": "staging"},
    ],
)
def test_schema_refuses_bad_values(schema, override):
    values = _merge(yaml.safe_load((CHART / "values.yaml").read_text()), override)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, schema)


def test_helm_applies_the_schema_too():
    with pytest.raises(helm.HelmValuesError):
        render({"secrets": {"eslPassword": "ClueCon"}})


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"secrets": {"eslPassword": ""}}, "secrets.eslPassword is required"),
        ({"secrets": {"jwtSecret": ""}}, "secrets.jwtSecret is required"),
        ({"freeswitch": {"eslHost": ""}}, "freeswitch.eslHost is required"),
    ],
)
def test_no_default_secret_or_host_render_fails_with_a_clear_message(missing, message):
    with pytest.raises(helm.HelmRenderError, match=message):
        render(missing)


# --- rendered resources ------------------------------------------------------------------------------


def test_every_service_has_a_deployment_service_and_pdb(docs):
    names = sorted(f"careline-{s}" for s in SERVICES)
    assert sorted(by_kind(docs, "Deployment")) == names
    assert sorted(by_kind(docs, "Service")) == names
    assert sorted(by_kind(docs, "PodDisruptionBudget")) == names


def test_a_disabled_service_renders_nothing():
    docs = render({"services": {"qa": {"enabled": False}}})
    assert not [d for d in docs if d["metadata"]["name"] == "careline-qa"]
    assert "careline-qa" not in json.dumps(by_kind(docs, "Pod"))  # nor in the helm test pod


def test_containers_run_the_service_as_non_root(docs):
    for name, deployment in by_kind(docs, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        assert container(deployment)["args"] == ["serve", name.removeprefix("careline-")]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert container(deployment)["securityContext"]["readOnlyRootFilesystem"] is True


def test_probes_are_separate_and_hit_healthz_and_readyz(docs):
    for deployment in by_kind(docs, "Deployment").values():
        c = container(deployment)
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_pods_carry_metrics_annotations(docs):
    for deployment in by_kind(docs, "Deployment").values():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"


def test_settings_come_from_env_and_secrets(docs):
    for name, deployment in by_kind(docs, "Deployment").items():
        prefix = f"CARELINE_{name.removeprefix('careline-').upper()}_"
        env = env_of(deployment)
        assert env[prefix + "ESL_HOST"]["value"] == "fs.voice.svc"
        assert env[prefix + "ENV"]["value"] == "prod"
        assert env[prefix + "HTTP_HOST"]["value"] == "0.0.0.0"
        assert env[prefix + "NATS_URL"]["value"].startswith("nats://")
        for secret_key, var in [("esl-password", "ESL_PASSWORD"), ("jwt-secret", "JWT_SECRET")]:
            ref = env[prefix + var]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "careline-secrets", "key": secret_key}
        db = env[prefix + "DB_URL"]["valueFrom"]["secretKeyRef"]
        assert db["key"] == f"{name.removeprefix('careline-')}-db-url" and db["optional"] is True


def test_db_urls_and_extra_env_are_passed(docs):
    docs = render({"secrets": {"dbUrls": {"cdr": "postgresql+asyncpg://u:p@pg/cdr"}}, "services": {
        "cdr": {"enabled": True, "env": {"CARELINE_CDR_RECORDINGS_DIR": "/rec"}}}})  # fmt: skip
    (secret,) = by_kind(docs, "Secret").values()
    assert secret["stringData"]["cdr-db-url"] == "postgresql+asyncpg://u:p@pg/cdr"
    assert (
        env_of(by_kind(docs, "Deployment")["careline-cdr"])["CARELINE_CDR_RECORDINGS_DIR"]["value"] == "/rec"
    )


def test_existing_secret_is_used_and_none_is_created():
    docs = render({"secrets": {"existingSecret": "site-secrets", "eslPassword": "", "jwtSecret": ""}})
    assert by_kind(docs, "Secret") == {}
    ref = env_of(by_kind(docs, "Deployment")["careline-acd"])["CARELINE_ACD_ESL_PASSWORD"]
    assert ref["valueFrom"]["secretKeyRef"]["name"] == "site-secrets"


def test_ivr_exposes_the_outbound_socket_and_drains_before_stopping(docs):
    ivr = by_kind(docs, "Deployment")["careline-ivr"]
    ports = {p["name"]: p["containerPort"] for p in container(ivr)["ports"]}
    assert ports == {"http": 8000, "esl-outbound": 8084}
    service_ports = {p["name"]: p["port"] for p in by_kind(docs, "Service")["careline-ivr"]["spec"]["ports"]}
    assert service_ports["esl-outbound"] == 8084
    command = container(ivr)["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "careline-drain"
    timeout = int(command[command.index("--timeout") + 1])
    grace = ivr["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace == 3600 and timeout < grace
    assert "lifecycle" not in container(by_kind(docs, "Deployment")["careline-acd"])
    env = env_of(ivr)  # careline.ivr.settings: listen for FreeSWITCH on all interfaces, drain on SIGTERM
    assert env["CARELINE_IVR_SOCKET_HOST"]["value"] == "0.0.0.0"
    assert env["CARELINE_IVR_SOCKET_PORT"]["value"] == "8084"
    assert env["CARELINE_IVR_DRAIN_TIMEOUT_S"]["value"] == str(timeout)


def test_termination_grace_period_is_configurable():
    docs = render({"services": {"ivr": {"enabled": True, "terminationGracePeriodSeconds": 120}}})
    assert (
        by_kind(docs, "Deployment")["careline-ivr"]["spec"]["template"]["spec"][
            "terminationGracePeriodSeconds"
        ]
        == 120
    )


def test_helm_test_pod_curls_readyz_of_every_service(docs):
    (pod,) = by_kind(docs, "Pod").values()
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    script = pod["spec"]["containers"][0]["args"][0]
    for svc in SERVICES:
        assert f"http://careline-{svc}:8000/readyz" in script


def test_dependencies_are_optional_and_not_vendored():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    conditions = {d["name"]: d["condition"] for d in chart["dependencies"]}
    assert conditions == {"nats": "nats.enabled", "postgresql": "postgresql.enabled"}
    assert not (CHART / "charts").exists()


def test_helm_lint_finds_nothing_but_the_unfetched_dependencies():
    report = helm.lint(CHART, REQUIRED)
    errors = [m for m in report["messages"] if m["severity"] >= 2]
    assert all("missing these dependencies: nats,postgresql" in m["error"] for m in errors), errors


def test_rendered_resources_are_valid_kubernetes(docs):
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


# --- plain manifests ---------------------------------------------------------------------------------


def test_k8s_manifests_equal_the_charts_defaults():
    assert (ROOT / "k8s" / "careline.yaml").read_text() == render_k8s.render_text(), (
        "k8s/ is stale: run .venv/bin/python deploy/render_k8s.py"
    )


def test_k8s_manifests_are_valid_kubernetes_without_secrets():
    docs = [d for d in yaml.safe_load_all((ROOT / "k8s" / "careline.yaml").read_text()) if d]
    assert {d["kind"] for d in docs} == {"Deployment", "Service", "PodDisruptionBudget", "ServiceAccount"}
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


# --- the IVR's preStop drain -------------------------------------------------------------------------


class _FakeIvr(BaseHTTPRequestHandler):
    calls = [2, 1, 0]
    drained = False

    def do_POST(self):  # noqa: N802
        type(self).drained = True
        self._reply({"draining": True})

    def do_GET(self):  # noqa: N802
        self._reply({"active_calls": self.calls.pop(0) if len(self.calls) > 1 else self.calls[0]})

    def _reply(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_drain_stops_intake_and_waits_for_the_last_call():
    server = HTTPServer(("127.0.0.1", 0), _FakeIvr)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/v1/drain"
        assert drain.drain(url, timeout=30, interval=0.01) == 0
        assert _FakeIvr.drained and _FakeIvr.calls == [0]
    finally:
        server.shutdown()


def test_drain_gives_up_when_the_service_is_gone():
    server = HTTPServer(("127.0.0.1", 0), _FakeIvr)
    port = server.server_port
    server.server_close()  # nothing listens there any more
    assert drain.drain(f"http://127.0.0.1:{port}/v1/drain", timeout=5, interval=0.01) == -1
    assert drain.main(["--url", f"http://127.0.0.1:{port}/v1/drain", "--timeout", "1"]) == 0
