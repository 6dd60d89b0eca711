"""The Kubernetes manifests (deploy/k8s): every overlay is rendered — by reading the
kustomizations' resource lists, and with `kubectl kustomize` too where kubectl exists —
and the rendered objects are checked for what a production deployment needs."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES = "1.32.0"  # the API version the manifests are checked against
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
Obj = dict[str, Any]
# The sandbox PSP (dev overlay only, deploy/k8s/overlays/dev/sandbox-psp.yaml): a stand-in
# for a third-party PSP, not a TicketSafe role. Its charges live in memory by design, so
# it runs as one pod without an HPA; it reads no TICKETSAFE_* setting (only the webhook
# key, from a file) and, with no store to wait for, has no /readyz.
SANDBOX = "ticketsafe-sandbox-psp"


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def render_by_reading(directory: Path) -> list[Obj]:
    """The objects a kustomization lists (recursively), before patches: enough to check
    structure without kubectl."""
    kustomization = _docs(directory / "kustomization.yaml")[0]
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        objects += render_by_reading(target) if target.is_dir() else _docs(target)
    for generator in kustomization.get("configMapGenerator", []):  # `behavior: merge`
        (cm,) = [
            c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"] == generator["name"]
        ]
        cm["data"].update(literal.split("=", 1) for literal in generator.get("literals", []))
    images = {i["name"]: i for i in kustomization.get("images", [])}
    for d in of_kind(objects, "Deployment"):  # kustomize's `images` transformer
        for c in containers(d):
            image = images.get(c["image"].split(":")[0])
            if image is not None:
                c["image"] = f"{image['newName']}:{image['newTag']}"
    return objects


def render(overlay: str) -> list[Obj]:
    """The overlay as kubectl would apply it; without kubectl, by reading the files."""
    directory = K8S / "overlays" / overlay
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return render_by_reading(directory)
    out = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels / matchExpressions In) against a label set."""
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        assert expr["operator"] == "In", expr
        if labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


def containers(deployment: Obj) -> Iterator[Obj]:
    yield from deployment["spec"]["template"]["spec"]["containers"]


@pytest.fixture(
    scope="module", params=[(o, how) for o in OVERLAYS for how in ("read", "kustomize")]
)
def objects(request: pytest.FixtureRequest) -> list[Obj]:
    overlay, how = request.param
    if how == "read":
        return render_by_reading(K8S / "overlays" / overlay)
    return render(overlay)


def test_every_yaml_file_parses_and_every_object_is_named() -> None:
    files = sorted(K8S.rglob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        for doc in _docs(path):
            if path.name in {"kustomization.yaml", "prometheus-adapter-rules.yaml"}:
                continue
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), path
            assert doc["metadata"].get("name"), path


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_sets_its_namespace_and_its_image(overlay: str) -> None:
    assert {"dev", "production"} <= set(OVERLAYS)
    kustomization = _docs(K8S / "overlays" / overlay / "kustomization.yaml")[0]
    assert kustomization["namespace"].startswith("ticketsafe")
    (image,) = kustomization["images"]
    wanted = f"{image['newName']}:{image['newTag']}"
    for d in of_kind(render(overlay), "Deployment"):
        assert [c["image"] for c in containers(d)] == [wanted]


def test_deployments_api_holds_and_worker(objects: list[Obj]) -> None:
    names = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    assert names - {SANDBOX} == {"ticketsafe-api", "ticketsafe-holds", "ticketsafe-worker"}


def _port_of(url: str) -> tuple[str, int]:
    match = re.fullmatch(r"http://([a-z0-9-]+)(?::(\d+))?(/.*)?", url)
    assert match, url
    return match.group(1), int(match.group(2) or 80)


def _allows(policy: Obj, way: str, peer: dict[str, str], port: int) -> bool:
    """Whether `policy` lets its pods talk (`way`: ingress/egress) with pods labelled
    `peer` of this namespace on `port`."""
    peers = "from" if way == "ingress" else "to"
    for rule in policy["spec"].get(way, []):
        if port not in [p["port"] for p in rule.get("ports", [])]:
            continue
        for who in rule.get(peers, []):
            if who.keys() == {"podSelector"} and selects(who["podSelector"], peer):
                return True
    return False


def test_the_sandbox_psp_runs_exactly_where_the_sandbox_is_on(objects: list[Obj]) -> None:
    """Sandbox on and no sandbox service: card and PIX answer 503. Its one pod is reached
    at the URL setting, and reaches the api's webhook, through the network policies."""
    settings = named(objects, "ConfigMap", "ticketsafe-config")["data"]
    deployments = {d["metadata"]["name"]: d for d in of_kind(objects, "Deployment")}
    if settings["TICKETSAFE_PAYMENTS_SANDBOX"] != "true":
        assert SANDBOX not in deployments
        assert "TICKETSAFE_SANDBOX_PSP_URL" not in settings
        return
    sandbox = deployments[SANDBOX]
    assert sandbox["spec"]["replicas"] == 1  # its state is in memory
    assert sandbox["spec"]["strategy"]["type"] == "Recreate"
    (c,) = containers(sandbox)
    assert c["command"][-2:] == ["-m", "ticketsafe.sandbox_psp"]
    assert "--host=0.0.0.0" in c["args"]
    (secret,) = [
        v["secret"] for v in sandbox["spec"]["template"]["spec"]["volumes"] if "secret" in v
    ]
    assert secret["secretName"] == "ticketsafe-secrets"
    assert [i["key"] for i in secret["items"]] == ["TICKETSAFE_PSP_WEBHOOK_SECRET"]
    host, port = _port_of(settings["TICKETSAFE_SANDBOX_PSP_URL"])
    service = named(objects, "Service", host)
    (target,) = [p["targetPort"] for p in service["spec"]["ports"] if p["port"] == port]
    (container_port,) = [p["containerPort"] for p in c["ports"] if p["name"] == target]
    assert f"--port={container_port}" in c["args"]
    assert selects(
        {"matchLabels": service["spec"]["selector"]},
        sandbox["spec"]["template"]["metadata"]["labels"],
    )
    # The webhooks go to the api Service in the cluster, not out through the Ingress.
    api_host, api_port = _port_of(settings["TICKETSAFE_SANDBOX_PSP_NOTIFY_URL"])
    assert settings["TICKETSAFE_SANDBOX_PSP_NOTIFY_URL"].endswith("/payments/webhooks/sandbox-psp")
    api_service = named(objects, "Service", api_host)
    (api_target,) = [p["targetPort"] for p in api_service["spec"]["ports"] if p["port"] == api_port]
    api = deployments["ticketsafe-api"]
    (api_port_number,) = [
        p["containerPort"] for c in containers(api) for p in c["ports"] if p["name"] == api_target
    ]
    policies = of_kind(objects, "NetworkPolicy")
    psp_labels = sandbox["spec"]["template"]["metadata"]["labels"]
    for name in ("ticketsafe-api", "ticketsafe-holds", "ticketsafe-worker"):  # share the config
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        theirs = [p for p in policies if selects(p["spec"]["podSelector"], psp_labels)]
        assert any(_allows(p, "egress", psp_labels, container_port) for p in mine), name
        assert any(_allows(p, "ingress", labels, container_port) for p in theirs), name
    api_labels = api["spec"]["template"]["metadata"]["labels"]
    on_api = [p for p in policies if selects(p["spec"]["podSelector"], api_labels)]
    on_psp = [p for p in policies if selects(p["spec"]["podSelector"], psp_labels)]
    assert any(_allows(p, "ingress", psp_labels, api_port_number) for p in on_api)
    assert any(_allows(p, "egress", api_labels, api_port_number) for p in on_psp)
    # A third party: no store credentials, no stores, no internet.
    assert "envFrom" not in c
    for policy in on_psp:
        for rule in policy["spec"].get("egress", []):
            assert all("ipBlock" not in to for to in rule["to"]), policy["metadata"]["name"]
            assert all(
                to.get("namespaceSelector", {}).get("matchLabels")
                != {"kubernetes.io/metadata.name": "ticketsafe-data"}
                for to in rule["to"]
            ), policy["metadata"]["name"]


def test_selectors_match_their_pod_labels(objects: list[Obj]) -> None:
    for d in of_kind(objects, "Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert selects(d["spec"]["selector"], labels), d["metadata"]["name"]
        for spread in d["spec"]["template"]["spec"]["topologySpreadConstraints"]:
            assert selects(spread["labelSelector"], labels)
        zones = [
            s["topologyKey"] for s in d["spec"]["template"]["spec"]["topologySpreadConstraints"]
        ]
        assert "topology.kubernetes.io/zone" in zones, d["metadata"]["name"]


def test_every_container_is_locked_down_and_bounded(objects: list[Obj]) -> None:
    for d in of_kind(objects, "Deployment"):
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for c in containers(d):
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, c["name"]
            assert sc["allowPrivilegeEscalation"] is False, c["name"]
            assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= c["resources"][bound].keys(), (c["name"], bound)
            assert ":" in c["image"], c["image"]  # a tag, set by the `images` transformer
            assert not c["image"].endswith(":latest"), c["image"]


def test_every_container_has_its_three_probes_on_a_declared_port(
    objects: list[Obj],
) -> None:
    for d in of_kind(objects, "Deployment"):
        for c in containers(d):
            ports = {p["name"] for p in c["ports"]}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert c[probe]["httpGet"]["port"] in ports, (c["name"], probe)
            if d["metadata"]["name"] != SANDBOX:  # it has no /readyz (see SANDBOX)
                assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            if c["name"] != "worker":  # behind a Service: leave the endpoints, then drain
                assert c["lifecycle"]["preStop"], c["name"]


def test_the_worker_serves_its_probes_on_the_port_it_declares(objects: list[Obj]) -> None:
    (worker,) = [
        d for d in of_kind(objects, "Deployment") if d["metadata"]["name"].endswith("worker")
    ]
    (c,) = containers(worker)
    env = {e["name"]: e.get("value") for e in c["env"]}
    (port,) = [p for p in c["ports"] if p["name"] == "health"]
    assert env["TICKETSAFE_WORKER_HEALTH_PORT"] == str(port["containerPort"])
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port["containerPort"])


def test_settings_come_from_the_configmap_and_an_uncommitted_secret(
    objects: list[Obj],
) -> None:
    assert of_kind(objects, "Secret") == []  # created outside git
    configmaps = {c["metadata"]["name"] for c in of_kind(objects, "ConfigMap")}
    for d in of_kind(objects, "Deployment"):
        if d["metadata"]["name"] == SANDBOX:  # no settings (see SANDBOX)
            continue
        for c in containers(d):
            refs = c["envFrom"]
            assert {"secretRef": {"name": "ticketsafe-secrets"}} in refs
            assert next(r["configMapRef"]["name"] for r in refs if "configMapRef" in r) in (
                configmaps
            )
    for cm in of_kind(objects, "ConfigMap"):
        for key in cm["data"]:
            assert key.startswith("TICKETSAFE_")
            assert not re.search(r"SECRET|_KEYS?$|MONGO_URL|REDIS_URL|SMTP_URL", key), key


def test_every_deployment_has_a_pdb_and_an_hpa(objects: list[Obj]) -> None:
    pdbs = of_kind(objects, "PodDisruptionBudget")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")
    }
    for d in of_kind(objects, "Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert [p for p in pdbs if selects(p["spec"]["selector"], labels)], d["metadata"]["name"]
        if d["metadata"]["name"] == SANDBOX:  # one pod, its state in memory: never scaled
            assert SANDBOX not in hpas
            assert d["spec"]["replicas"] == 1
            continue
        hpa = hpas[d["metadata"]["name"]]
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        kinds = {m["type"] for m in hpa["spec"]["metrics"]}
        assert "Resource" in kinds
    for name in ("ticketsafe-api", "ticketsafe-holds"):  # and requests per second
        pods = [m["pods"] for m in hpas[name]["spec"]["metrics"] if m["type"] == "Pods"]
        assert pods[0]["metric"]["name"] == "ticketsafe_http_requests_per_second"
    rules = _docs(K8S / "prometheus-adapter-rules.yaml")[0]["rules"]["custom"]
    assert [r["name"]["as"] for r in rules] == ["ticketsafe_http_requests_per_second"]


def test_services_reach_their_pods_by_a_named_port(objects: list[Obj]) -> None:
    for svc in of_kind(objects, "Service"):
        matched = [
            d
            for d in of_kind(objects, "Deployment")
            if selects(
                {"matchLabels": svc["spec"]["selector"]},
                d["spec"]["template"]["metadata"]["labels"],
            )
        ]
        assert len(matched) == 1, svc["metadata"]["name"]
        ports = {p["name"] for c in containers(matched[0]) for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in ports


def _route(ingress: Obj, path: str) -> str:
    """The Service ingress-nginx (use-regex: longest path first) sends `path` to."""
    rules = ingress["spec"]["rules"][0]["http"]["paths"]
    for rule in sorted(rules, key=lambda r: len(r["path"]), reverse=True):
        if re.match(rule["path"], path):
            return str(rule["backend"]["service"]["name"])
    raise AssertionError(f"no route for {path}")


def test_the_ingress_ends_tls_and_sends_holds_to_the_hold_lane(objects: list[Obj]) -> None:
    (ingress,) = of_kind(objects, "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert "cert-manager.io/cluster-issuer" in notes
    assert notes["nginx.ingress.kubernetes.io/use-regex"] == "true"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # SSE
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    tls = ingress["spec"]["tls"][0]
    assert tls["secretName"]
    assert ingress["spec"]["rules"][0]["host"] in tls["hosts"]
    assert _route(ingress, "/events/evt_8Zq2/holds") == "ticketsafe-holds"
    assert _route(ingress, "/events/evt_8Zq2/holds/hld_1/extend") == "ticketsafe-holds"
    assert _route(ingress, "/events/evt_8Zq2/holdsx") == "ticketsafe-api"
    assert _route(ingress, "/events/evt_8Zq2") == "ticketsafe-api"
    assert _route(ingress, "/orders") == "ticketsafe-api"
    services = {s["metadata"]["name"] for s in of_kind(objects, "Service")}
    backends = {
        r["backend"]["service"]["name"] for r in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert backends <= services


def test_network_policies_deny_by_default_and_let_http_reach_the_api_pods(
    objects: list[Obj],
) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    assert deny
    assert set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    for d in of_kind(objects, "Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        egress = [
            p
            for p in policies
            if p["spec"].get("egress") and selects(p["spec"]["podSelector"], labels)
        ]
        assert egress, d["metadata"]["name"]  # reaches its stores
        serves_http = any(c.get("ports") for c in containers(d))
        ingress = [
            p
            for p in policies
            if p["spec"].get("ingress") and selects(p["spec"]["podSelector"], labels)
        ]
        assert bool(ingress) == serves_http, d["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_patches_name_objects_of_the_base(overlay: str) -> None:
    """A patch naming nothing is silently ignored by some tools: every one must hit."""
    base = {(o["kind"], o["metadata"]["name"]) for o in render_by_reading(K8S / "base")}
    directory = K8S / "overlays" / overlay
    for patch in _docs(directory / "kustomization.yaml")[0].get("patches", []):
        if "path" in patch:
            for doc in _docs(directory / patch["path"]):
                assert (doc["kind"], doc["metadata"]["name"]) in base, (overlay, doc)
        else:
            target = patch["target"]
            assert (target["kind"], target["name"]) in base, (overlay, target)


def test_every_rendered_object_is_valid_for_kubernetes(objects: list[Obj]) -> None:
    """Against the API schemas `kubernetes-validate` ships, strict: an unknown or
    misspelt field fails here, not at `kubectl apply` time."""
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    deployment = named(render("dev"), "Deployment", "ticketsafe-api")
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)
