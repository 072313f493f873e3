"""`K8sCrawlLauncher`: the crawler in its own Kubernetes pod, through `dagster_k8s.PipesK8sClient`.

The pod runs the same entrypoint as the subprocess launcher (`python -m scrape_assets.crawler`) from
the code-location image (k8s/Dockerfile). Secrets (`SCRAPE_ASSETS_REDIS_URL`, AWS credentials) reach
it through `envFrom` a Kubernetes Secret, never through the pod spec or Pipes extras. The pod is
locked down: non-root, read-only root filesystem (a `/tmp` emptyDir for scratch), every capability
dropped, no service-account token, CPU and memory requests and limits.

Each crawler pod is owned by the run pod that launched it (`ownerReferences`, from the run pod's own
name and UID, given to it by the downward API in k8s/dagster.yaml): when the run's Job is cleaned up
(`ttlSecondsAfterFinished`, or the run is terminated), Kubernetes' garbage collector deletes its
crawler pods with it, so a crawl never outlives its run for long.
"""

from __future__ import annotations

import re
from typing import Any

from dagster import AssetExecutionContext, OpExecutionContext, PipesClientCompletedInvocation
from pydantic import Field

from scrape_assets.defs.resources.crawl_launcher import CRAWLER_MODULE, CrawlLauncher
from scrape_assets.shards import shard_label

CRAWLER_COMMAND = ["python", "-m", CRAWLER_MODULE]
CRAWLER_UID = 10001  # the image's non-root user (k8s/Dockerfile)
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.-]")


def unknown_pod_fields(model: str, items: list[dict[str, Any]]) -> list[str]:
    """Keys of `items` that the Kubernetes model (e.g. "V1Toleration") does not have, camelCase as in
    a manifest; empty when every item is well formed."""
    import kubernetes.client  # only where pods are launched

    known = set(getattr(kubernetes.client, model).attribute_map.values())
    return sorted({key for item in items for key in item if key not in known})


def shard_label_of(extras: dict[str, Any]) -> str:
    """The crawl's shard (`2of4`), or `all` for a crawl that is not sharded (the frontier)."""
    shard = extras.get("shard")
    return shard_label(shard["index"], shard["count"]) if shard else "all"


def label_value(value: str) -> str:
    """A string made safe as a Kubernetes label value (63 characters, alphanumerics, `-_.`)."""
    return _LABEL_VALUE.sub("_", value)[:63].strip("_.-") or "none"


class K8sCrawlLauncher(CrawlLauncher):
    """Runs each crawl as a pod in `namespace` with `service_account`, from `image`."""

    image: str
    namespace: str = "scrape-assets"
    service_account: str = "scrape-assets-crawler"
    env_secret: str | None = "scrape-assets-crawler"
    cpu_request: str = "500m"
    cpu_limit: str = "1"
    memory_request: str = "512Mi"
    memory_limit: str = "1Gi"
    node_selector: dict[str, str] = {}
    tolerations: list[dict[str, Any]] = []
    load_incluster_config: bool = True
    kubeconfig_file: str | None = None
    # the run pod that owns the crawler pods (its metadata.name and metadata.uid), when known
    owner_pod_name: str | None = None
    owner_pod_uid: str | None = None
    # crawler pods of one run at once: a target's shard count when its YAML sets no max_shards (the
    # run's executor must run that many steps at once too: Dagster's multiprocess executor, in the run
    # pod, runs as many as the pod has cores unless its max_concurrent says otherwise)
    max_parallel_pods: int = Field(default=8, ge=1, le=64)

    def parallel_crawlers(self) -> int:
        return self.max_parallel_pods

    def pod_meta(self, target: str, partition: str, shard: str) -> dict[str, Any]:
        """Labels that say which target, day and shard a pod crawls (for kubectl and NetworkPolicy),
        and the run pod that owns it."""
        meta: dict[str, Any] = {
            "labels": {
                "app.kubernetes.io/name": "scrape-assets-crawler",
                "app.kubernetes.io/component": "crawler",
                "scrape-assets/target": label_value(target),
                "scrape-assets/partition": label_value(partition),
                "scrape-assets/shard": label_value(shard),
            }
        }
        if self.owner_pod_name and self.owner_pod_uid:
            meta["ownerReferences"] = [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": self.owner_pod_name,
                    "uid": self.owner_pod_uid,
                    "blockOwnerDeletion": False,
                }
            ]
        return meta

    def pod_spec(self) -> dict[str, Any]:
        """The base pod spec handed to dagster-k8s' pod builder (camelCase, as in a manifest)."""
        container: dict[str, Any] = {
            "name": "crawler",
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "resources": {
                "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
                "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
            },
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": CRAWLER_UID,
                "runAsGroup": CRAWLER_UID,
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        if self.env_secret:
            container["envFrom"] = [{"secretRef": {"name": self.env_secret}}]
        spec: dict[str, Any] = {
            "serviceAccountName": self.service_account,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": CRAWLER_UID,
                "fsGroup": CRAWLER_UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
        }
        if self.node_selector:
            spec["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            spec["tolerations"] = list(self.tolerations)
        return spec

    def worker_env(self) -> dict[str, str]:
        return {}  # secrets come from the Secret in envFrom, never as plain values in the pod spec

    def _run(
        self, context: AssetExecutionContext | OpExecutionContext, extras: dict[str, Any]
    ) -> PipesClientCompletedInvocation:
        from dagster_k8s import PipesK8sClient  # only where pods are launched

        client = PipesK8sClient(load_incluster_config=self.load_incluster_config, kubeconfig_file=self.kubeconfig_file)
        target = extras["target"]["name"]
        return client.run(
            context=context,
            extras=extras,
            command=CRAWLER_COMMAND,
            namespace=self.namespace,
            env=self.worker_env(),
            base_pod_meta=self.pod_meta(target, context.partition_key, shard_label_of(extras)),
            base_pod_spec=self.pod_spec(),
        )
