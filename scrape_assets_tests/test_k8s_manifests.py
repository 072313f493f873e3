"""The Kubernetes deployment files in k8s/, validated offline with kubernetes-validate `--strict`
(unknown fields are errors), and the crawler pod that `K8sCrawlLauncher` would create, built with
dagster-k8s' own pod builder from the launcher the environment configures."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes
import kubernetes_validate
import pytest
import yaml
from dagster_k8s.launcher import K8sRunLauncher
from dagster_k8s.pipes import build_pod_body

from scrape_assets.dagster_internals import config_errors, instance_config_errors
from scrape_assets.defs import environment
from scrape_assets.defs.resources.crawl_launcher import CRAWLER_MODULE
from scrape_assets.defs.resources.k8s_crawl_launcher import CRAWLER_UID, K8sCrawlLauncher

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "k8s"
KUBERNETES_VERSION = "1.37.0"
MANIFESTS = ("namespace.yaml", "rbac.yaml", "network-policy.yaml", "data-volume.yaml", "crawler-pod.yaml")


def _documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for name in MANIFESTS for doc in _documents(name) if doc["kind"] == kind]


def _validate(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def _launcher_pod(monkeypatch, **env: str) -> dict[str, Any]:
    """The pod body PipesK8sClient would submit for a crawl of demo_shop, as JSON (camelCase)."""
    monkeypatch.setenv("SCRAPE_ASSETS_CRAWL_LAUNCHER", "k8s")
    monkeypatch.setenv("SCRAPE_ASSETS_CRAWLER_IMAGE", "registry.example.com/scrape-assets:1a2b3c")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    launcher = environment.crawl_launcher()
    assert isinstance(launcher, K8sCrawlLauncher)
    body = build_pod_body(
        pod_name="dagster-pipes-0123456789abcdef",
        image=launcher.image,
        command=["python", "-m", CRAWLER_MODULE],
        env_vars={"DAGSTER_PIPES_CONTEXT": "e30=", "DAGSTER_PIPES_MESSAGES": "e30="},  # as Pipes bootstraps
        base_pod_meta=launcher.pod_meta("demo_shop", "2026-11-20", "all"),
        base_pod_spec=launcher.pod_spec(),
    )
    pod = kubernetes.client.ApiClient().sanitize_for_serialization(body)
    return {"apiVersion": "v1", "kind": "Pod", **pod}


def test_every_manifest_in_k8s_validates_strictly():
    kinds = []
    for name in MANIFESTS:
        for doc in _documents(name):
            _validate(doc)
            kinds.append(doc["kind"])
    assert sorted(kinds) == sorted(
        [
            "Namespace",
            "ServiceAccount",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "NetworkPolicy",
            "PersistentVolumeClaim",
            "Pod",
        ]
    )


def test_strict_validation_rejects_a_misspelt_field():
    pod = copy.deepcopy(_by_kind("Pod")[0])
    pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesytem"] = True
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFilesytem"):
        _validate(pod)


def test_the_role_allows_exactly_what_the_pipes_k8s_client_needs():
    [role] = _by_kind("Role")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "list", "watch", "delete"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ]
    [binding] = _by_kind("RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    [subject] = binding["subjects"]
    accounts = {sa["metadata"]["name"]: sa for sa in _by_kind("ServiceAccount")}
    assert subject["name"] in accounts and subject["name"] != "scrape-assets-crawler"
    assert accounts["scrape-assets-crawler"]["automountServiceAccountToken"] is False

    # the run pods, which launch crawler pods, run as the bound account (Helm values and dagster.yaml)
    values = yaml.safe_load((K8S / "helm-values.yaml").read_text())
    assert values["dagster-user-deployments"]["serviceAccount"] == {"create": False, "name": subject["name"]}
    run_config = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]
    assert run_config["podSpecConfig"]["serviceAccountName"] == subject["name"]
    instance = yaml.safe_load((K8S / "dagster.yaml").read_text())
    assert instance["run_launcher"]["config"]["service_account_name"] == subject["name"]


def test_the_pod_the_k8s_launcher_creates_validates_and_is_locked_down(monkeypatch):
    pod = _launcher_pod(
        monkeypatch,
        SCRAPE_ASSETS_K8S_NODE_SELECTOR='{"pool": "crawlers"}',
        SCRAPE_ASSETS_K8S_TOLERATIONS='[{"key": "crawlers", "operator": "Exists", "effect": "NoSchedule"}]',
    )
    _validate(pod)

    spec = pod["spec"]
    [container] = spec["containers"]
    assert container["image"] == "registry.example.com/scrape-assets:1a2b3c"
    assert container["command"] == ["python", "-m", "scrape_assets.crawler"]  # the subprocess launcher's entrypoint
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "512Mi"}
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == CRAWLER_UID
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False and spec["restartPolicy"] == "Never"
    assert spec["nodeSelector"] == {"pool": "crawlers"}
    assert spec["tolerations"] == [{"key": "crawlers", "operator": "Exists", "effect": "NoSchedule"}]
    assert container["envFrom"] == [{"secretRef": {"name": "scrape-assets-crawler"}}]
    # secrets never travel as plain values in the pod spec: only the Pipes bootstrap is set inline
    assert {env["name"] for env in container["env"]} == {"DAGSTER_PIPES_CONTEXT", "DAGSTER_PIPES_MESSAGES"}
    assert pod["metadata"]["labels"]["scrape-assets/target"] == "demo_shop"
    assert pod["metadata"]["labels"]["scrape-assets/partition"] == "2026-11-20"

    # the NetworkPolicy selects it, its account exists, and the reviewed pod file says the same thing
    [policy] = _by_kind("NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert spec["serviceAccountName"] in {sa["metadata"]["name"] for sa in _by_kind("ServiceAccount")}
    [reviewed] = _by_kind("Pod")
    [reviewed_container] = reviewed["spec"]["containers"]
    for field in ("command", "resources", "securityContext", "volumeMounts", "envFrom"):
        assert reviewed_container[field] == container[field], field
    for field in ("securityContext", "volumes", "serviceAccountName", "automountServiceAccountToken"):
        assert reviewed["spec"][field] == spec[field], field


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "SCRAPE_ASSETS_K8S_TOLERATIONS",
            '[{"key": "crawlers", "efect": "NoSchedule"}]',
            r"SCRAPE_ASSETS_K8S_TOLERATIONS: unknown toleration field\(s\) \['efect'\]",
        ),
        ("SCRAPE_ASSETS_K8S_TOLERATIONS", '{"key": "crawlers"}', "SCRAPE_ASSETS_K8S_TOLERATIONS must be a JSON list"),
        ("SCRAPE_ASSETS_K8S_NODE_SELECTOR", "pool=crawlers", "SCRAPE_ASSETS_K8S_NODE_SELECTOR is not valid JSON"),
    ],
)
def test_a_bad_launcher_setting_fails_at_load_naming_the_variable(monkeypatch, variable, value, message):
    with pytest.raises(environment.EnvironmentConfigError, match=message):
        _launcher_pod(monkeypatch, **{variable: value})


def _pod_from_user_deployment(deployment: dict[str, Any]) -> dict[str, Any]:
    """The pod the chart's user-deployment template builds from these values (the fields we set)."""
    image = deployment["image"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": deployment["name"]},
        "spec": {
            "securityContext": deployment["podSecurityContext"],
            "volumes": deployment["volumes"],
            "containers": [
                {
                    "name": deployment["name"],
                    "image": f"{image['repository']}:{image['tag']}",
                    "imagePullPolicy": image["pullPolicy"],
                    "args": [
                        "dagster",
                        "api",
                        "grpc",
                        "-h",
                        "0.0.0.0",
                        "-p",
                        str(deployment["port"]),
                        *deployment["dagsterApiGrpcArgs"],
                    ],
                    "env": deployment["env"],
                    "envFrom": [{"secretRef": secret} for secret in deployment["envSecrets"]],
                    "securityContext": deployment["securityContext"],
                    "resources": deployment["resources"],
                    "volumeMounts": deployment["volumeMounts"],
                }
            ],
        },
    }


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_helm_values_deploy_this_code_location_with_the_instance_settings():
    values = yaml.safe_load((K8S / "helm-values.yaml").read_text())
    instance = yaml.safe_load((K8S / "dagster.yaml").read_text())
    [deployment] = values["dagster-user-deployments"]["deployments"]
    _validate(_pod_from_user_deployment(deployment))

    module = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", module]
    assert deployment["podSecurityContext"]["runAsUser"] == CRAWLER_UID
    assert deployment["securityContext"]["readOnlyRootFilesystem"] is True
    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert env["SCRAPE_ASSETS_ENV"] == "prod"
    assert env["SCRAPE_ASSETS_DATA_DIR"] in {mount["mountPath"] for mount in deployment["volumeMounts"]}
    [claim] = _by_kind("PersistentVolumeClaim")
    assert {"name": "data", "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}} in deployment["volumes"]
    assert not any(re.search(r"PASSWORD|SECRET_ACCESS_KEY|TOKEN", name) for name in env)  # secrets via envSecrets

    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    assert values["postgresql"]["postgresqlScheme"] == instance["storage"]["postgres"]["postgres_db"]["scheme"]
    # the chart's queue settings and k8s/dagster.yaml (Dagster run outside the chart) agree
    queue = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    coordinator = instance["run_coordinator"]["config"]
    assert queue["maxConcurrentRuns"] == coordinator["max_concurrent_runs"]
    assert (queue["dequeueUseThreads"], queue["dequeueNumWorkers"]) == (
        coordinator["dequeue_use_threads"],
        coordinator["dequeue_num_workers"],
    )
    for daemon in ("schedules", "sensors"):
        assert {_snake(k): v for k, v in values["dagsterDaemon"][daemon].items()} == instance[daemon]
    assert queue["tagConcurrencyLimits"] == coordinator["tag_concurrency_limits"]
    assert {_snake(k): v for k, v in values["dagsterDaemon"]["runRetries"].items()} == instance["run_retries"]
    assert {_snake(k): v for k, v in values["dagsterDaemon"]["runMonitoring"].items()} == instance["run_monitoring"]
    # run pods know their own name and UID (crawler pods' owner) and their Jobs are cleaned up, both ways
    chart_run = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]
    file_run = instance["run_launcher"]["config"]["run_k8s_config"]
    assert chart_run["containerConfig"]["env"] == file_run["container_config"]["env"]
    assert {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in file_run["container_config"]["env"]} == {
        "SCRAPE_ASSETS_RUN_POD_NAME": "metadata.name",
        "SCRAPE_ASSETS_RUN_POD_UID": "metadata.uid",
    }
    assert (
        chart_run["jobSpecConfig"]["ttlSecondsAfterFinished"]
        == file_run["job_spec_config"]["ttl_seconds_after_finished"]
    )


def test_the_instance_file_configures_postgres_the_k8s_run_launcher_and_the_queue_limits():
    instance = yaml.safe_load((K8S / "dagster.yaml").read_text())
    database = instance["storage"]["postgres"]["postgres_db"]
    # every connection setting from the environment, and a driver that dagster-postgres installs
    assert all(set(value) == {"env"} for name, value in database.items() if name != "scheme")
    assert database["scheme"] == "postgresql+psycopg2"
    launcher = instance["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s.launcher", "K8sRunLauncher")
    assert config_errors(K8sRunLauncher.config_type(), launcher["config"]) == []
    assert instance_config_errors(instance) == []
    # sized for 40,000 runs a day: a queue well above a day's average concurrency, threads for launches
    # and for 1,000 schedules' ticks
    coordinator = instance["run_coordinator"]["config"]
    assert coordinator["max_concurrent_runs"] >= 100 and coordinator["dequeue_use_threads"] is True
    assert instance["schedules"]["use_threads"] is True and instance["schedules"]["num_workers"] >= 4
    limits = {limit["key"]: limit for limit in instance["run_coordinator"]["config"]["tag_concurrency_limits"]}
    assert limits["scrape_assets/target_day"]["limit"] == 1
    assert limits["scrape_assets/target_day"]["value"] == {"applyLimitPerUniqueValue": True}
    assert limits["target"]["value"] == {"applyLimitPerUniqueValue": True}


def test_the_dockerfile_builds_the_image_the_manifests_run():
    dockerfile = (K8S / "Dockerfile").read_text()
    assert re.search(rf"^USER {CRAWLER_UID}:{CRAWLER_UID}$", dockerfile, re.M)
    assert 'pip install ".[prod]"' in dockerfile
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (REPO / path).exists(), f"k8s/Dockerfile copies {path}, which does not exist"
    [command] = re.findall(r"^CMD (.+)$", dockerfile, re.M)
    module = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert json.loads(command)[-2:] == ["-m", module]
    # the crawler's entrypoint, which crawler pods run, is importable from the installed package
    probe = subprocess.run(
        [sys.executable, "-c", f"import importlib.util as u; print(bool(u.find_spec('{CRAWLER_MODULE}.__main__')))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "True"
