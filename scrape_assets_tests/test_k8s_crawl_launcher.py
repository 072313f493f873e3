"""The production crawl path end to end through Dagster: `K8sCrawlLauncher` (dagster-k8s'
`PipesK8sClient`) creates crawler pods on a Kubernetes API (`fake_kubernetes.py`: the real client and
pod builder, each pod validated strictly and run as a process with only its own environment), pages
stream into S3 (moto's server), and the day is extracted, validated and delivered."""

from __future__ import annotations

import base64
import gzip
import json
import os
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml
from dagster import serialize_value
from dagster_pipes import decode_param

from scrape_assets_tests.fake_kubernetes import FakeKubernetes
from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
DAY = "2026-11-20"
BUCKET = "scraped-pages"
CRAWLER_SECRET = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def kubernetes(tmp_path, monkeypatch):
    """The K8s launcher pointed at a fake API server on loopback, with the page store on S3 is set
    by the test. Yields the server."""
    (tmp_path / "pods").mkdir()
    with FakeKubernetes(tmp_path / "pods", secrets={"scrape-assets-crawler": CRAWLER_SECRET}) as server:
        monkeypatch.setenv("SCRAPE_ASSETS_CRAWL_LAUNCHER", "k8s")
        monkeypatch.setenv("SCRAPE_ASSETS_CRAWLER_IMAGE", "registry.example.com/scrape-assets:test")
        monkeypatch.setenv("SCRAPE_ASSETS_K8S_KUBECONFIG", str(server.kubeconfig(tmp_path / "kubeconfig")))
        yield server


def _pipes_extras(pod) -> dict:
    """The Pipes context the pod was started with (DAGSTER_PIPES_CONTEXT, inline in the pod's env)."""
    [container] = pod.manifest["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    return decode_param(env["DAGSTER_PIPES_CONTEXT"])["data"]["extras"]


def test_a_day_crawled_in_kubernetes_pods_into_s3_is_delivered(
    pipeline, start_site, s3_server, kubernetes, monkeypatch
):
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("SCRAPE_ASSETS_PAGE_STORE", "s3")
    monkeypatch.setenv("SCRAPE_ASSETS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("SCRAPE_ASSETS_S3_ENDPOINT_URL", s3_server)
    site = start_site(60)

    result = pipeline.run_day(site, DAY)

    assert result.success, failure_cause(result)
    assert kubernetes.refused == []
    pods = list(kubernetes.pods.values())
    assert [_pipes_extras(pod)["mode"] for pod in pods] == ["frontier", "pages"]
    for pod in pods:
        assert pod.process.returncode == 0 and pod.deleted  # finished, then cleaned up by the client
        labels = pod.manifest["metadata"]["labels"]
        assert (labels["scrape-assets/target"], labels["scrape-assets/partition"]) == ("demo_shop", DAY)
        [container] = pod.manifest["spec"]["containers"]
        assert container["command"] == ["python", "-m", "scrape_assets.crawler"]
        # credentials reached the pod only through the Secret, never inline in its spec or extras
        inline = json.dumps(container.get("env", [])) + json.dumps(_pipes_extras(pod))
        assert "AWS_SECRET_ACCESS_KEY" not in inline and container["envFrom"] == [
            {"secretRef": {"name": "scrape-assets-crawler"}}
        ]
    assert materialization_metadata(result, "raw_pages")["pages"] >= 60
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=s3_server).list_objects_v2(
            Bucket=BUCKET, Prefix=f"pages/demo_shop/{DAY}/"
        )["Contents"]
    ]
    assert any(key.endswith(".warc.gz") for key in keys)
    rows = pipeline.query(
        "SELECT count(*), count(DISTINCT sku) FROM delivered_demo_shop WHERE partition_date = ?", [DAY]
    )
    assert rows == [(60, 60)]


def test_a_named_crawl_failure_in_a_pod_fails_the_step_by_name(pipeline, start_site, kubernetes):
    site = start_site(10)
    site.stop()  # the target is down: robots.txt cannot be fetched
    pipeline.configure(run_policy={"crawl_step_retries": 0})  # one pod: the frontier would retry an outage

    result = pipeline.run_day(site, DAY)

    assert not result.success
    step, cause = failure_cause(result)
    assert step == "demo_shop__url_frontier" and cause.cls_name == "TargetUnreachable"
    assert "robots.txt unreachable" in cause.message
    [pod] = kubernetes.pods.values()
    assert pod.process.returncode == 0 and pod.deleted  # the crawler reported the failure and exited cleanly


def test_proxy_credentials_reach_only_the_pod_that_uses_them(
    pipeline, start_site, start_proxy, kubernetes, monkeypatch
):
    user, password = "crawler-user-7f3a", "s3cret-9d1b-value"
    kubernetes.secrets["scrape-assets-crawler"] = {**CRAWLER_SECRET, "PROXY_USER": user, "PROXY_PASSWORD": password}
    for name in ("PROXY_USER", "PROXY_PASSWORD"):  # the orchestrator never holds them
        monkeypatch.delenv(name, raising=False)
    proxy_url, proxy = start_proxy("--require-auth", f"{user}:{password}")
    site = start_site(30)
    pipeline.configure(
        proxies={"urls": [proxy_url.replace("://", "://${PROXY_USER}:${PROXY_PASSWORD}@")]},
        run_policy={"crawl_step_retries": 0},
    )

    result = pipeline.run_day(site, DAY)

    # the proxy answers 407 without the credentials: every page came through it, so the pod had them
    assert result.success, failure_cause(result)
    assert materialization_metadata(result, "raw_pages")["pages"] >= 30
    leaks = [password, base64.b64encode(f"{user}:{password}".encode()).decode()]
    places = {f"pod {name} manifest": json.dumps(pod.manifest) for name, pod in kubernetes.pods.items()}
    places |= {f"pod {name} Pipes extras": json.dumps(_pipes_extras(pod)) for name, pod in kubernetes.pods.items()}
    places |= {f"pod {name} log": "\n".join(pod.lines) for name, pod in kubernetes.pods.items()}
    places |= {
        f"event {i}": serialize_value(entry) for i, entry in enumerate(pipeline.instance.all_logs(result.run_id))
    }
    places |= {
        str(path): path.read_bytes().decode("latin-1")
        for path in pipeline.data_dir.rglob("*")
        if path.is_file() and not path.name.endswith(".gz")
    }
    places |= {
        str(path): gzip.decompress(path.read_bytes()).decode("latin-1") for path in pipeline.data_dir.rglob("*.gz")
    }
    assert len(places) > 10 and any("PROXY_PASSWORD" in text for text in places.values())
    assert [(where, leak) for where, text in places.items() for leak in leaks if leak in text] == []


def test_crawler_pods_are_owned_by_the_run_pod_and_deleted_with_it(pipeline, start_site, kubernetes, tmp_path):
    site = start_site(400, "--latency-ms", "100")
    pipeline.configure(run_policy={"crawl_step_retries": 0})
    # the run pod, as K8sRunLauncher starts it from k8s/dagster.yaml: it runs the day's crawl, and knows
    # its own name and UID through the downward API
    launcher = yaml.safe_load((REPO / "k8s" / "dagster.yaml").read_text())["run_launcher"]["config"]
    downward = launcher["run_k8s_config"]["container_config"]["env"]
    env = {
        "DAGSTER_HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DEMO_SHOP_URL": site.url,
        **{name: os.environ[name] for name in os.environ if name.startswith("SCRAPE_ASSETS_")},
    }
    status, _ = kubernetes.create(
        "scrape-assets",
        {
            "metadata": {"name": "dagster-run-pod"},
            "spec": {
                "containers": [
                    {
                        "name": "run",
                        "image": "registry.example.com/scrape-assets:test",
                        "command": [
                            sys.executable,
                            "-m",
                            "scrape_assets_tests.run_day_driver",
                            DAY,
                            "url_frontier",
                            "raw_pages",
                        ],
                        "env": [{"name": k, "value": v} for k, v in env.items()] + downward,
                    }
                ]
            },
        },
    )
    assert status == 201, kubernetes.refused
    run_pod = kubernetes.pods["dagster-run-pod"]

    def page_pod():
        return next(
            (
                pod
                for name, pod in kubernetes.pods.items()
                if name != "dagster-run-pod" and _pipes_extras(pod)["mode"] == "pages"
            ),
            None,
        )

    deadline = time.monotonic() + 300
    while (page_pod() is None or site.stats()["by_class"].get("product", 0) < 20) and time.monotonic() < deadline:
        assert run_pod.process.poll() is None, "\n".join(run_pod.lines[-30:])
        time.sleep(0.2)
    crawler = page_pod()
    assert crawler is not None and crawler.manifest["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": "dagster-run-pod",
            "uid": run_pod.manifest["metadata"]["uid"],
            "blockOwnerDeletion": False,
        }
    ]

    kubernetes.delete(run_pod)  # the run's Job is cleaned up (ttlSecondsAfterFinished), or the run terminated

    assert crawler.deleted and crawler.process.wait(timeout=60) is not None
    assert site.stats()["by_class"]["product"] < 400  # the crawl did not go on without its run
