"""A Kubernetes API server on loopback that runs each pod's container as a local process.

Speaks the part of the core/v1 API that dagster-k8s' `PipesK8sClient` uses (create, list by name,
read log with follow, delete), so the real client, the real pod builder and the real Pipes log reader
are exercised. Deleting a pod deletes the pods that name it in `ownerReferences`, as Kubernetes'
garbage collector does. Each created pod is validated with kubernetes-validate `--strict` first and refused
(422) when invalid. Its first container's `command` runs with exactly the pod's environment: its
`env` (with `metadata.name` and `metadata.uid` from the downward API), plus the keys of the Secrets
named in `envFrom`, plus `PATH` (so `python` is this virtualenv's);
nothing else of the test process leaks in. Output is kept with timestamps and served as the pod log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.37.0"
POD_PATH = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods(?:/(?P<name>[^/]+))?(?P<log>/log)?$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakePod:
    """One pod: its manifest as created, its process and its timestamped output."""

    manifest: dict[str, Any]
    process: subprocess.Popen
    started: str = field(default_factory=_now)
    lines: list[str] = field(default_factory=list)
    finished: str | None = None
    deleted: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(f"{_now()} {raw.decode('utf-8', 'replace').rstrip(chr(10))}")
        self.process.wait()
        self.finished = _now()
        self.done.set()

    def status(self) -> dict[str, Any]:
        container = self.manifest["spec"]["containers"][0]
        base = {
            "name": container["name"],
            "image": container["image"],
            "imageID": container["image"],
            "restartCount": 0,
            "containerID": f"fake://{self.process.pid}",
        }
        if self.finished is None:
            state: dict[str, dict[str, Any]] = {"running": {"startedAt": self.started}}
            phase, ready = "Running", True
        else:
            code = self.process.returncode
            state = {
                "terminated": {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": self.started,
                    "finishedAt": self.finished,
                }
            }
            phase, ready = ("Succeeded" if code == 0 else "Failed"), False
        return {"phase": phase, "containerStatuses": [{**base, "ready": ready, "state": state}]}


class FakeKubernetes:
    """Started on a free loopback port; `secrets` maps Secret name -> {key: value}; `pods` keeps every
    pod ever created (deleted ones too), by name."""

    def __init__(self, workdir: Path, secrets: dict[str, dict[str, str]] | None = None) -> None:
        self.workdir = workdir
        self.secrets = secrets or {}
        self.pods: dict[str, FakePod] = {}
        self.refused: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send_json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self) -> tuple[re.Match | None, dict[str, list[str]]]:
                url = urlparse(self.path)
                return POD_PATH.match(url.path), parse_qs(url.query)

            def do_POST(self) -> None:
                match, _ = self._route()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if not match or match["name"]:
                    return self._send_json(404, {"kind": "Status", "status": "Failure"})
                status, answer = fake.create(match["ns"], body)
                self._send_json(status, answer)

            def do_GET(self) -> None:
                match, query = self._route()
                if not match:
                    return self._send_json(404, {"kind": "Status", "status": "Failure"})
                if match["log"]:
                    return self._stream_log(
                        fake.pods.get(match["name"]), (query.get("follow") or [""])[0].lower() == "true"
                    )
                selector = (query.get("fieldSelector") or [""])[0]
                wanted = selector.removeprefix("metadata.name=") if selector else None
                items = [
                    fake.pod_json(p)
                    for name, p in fake.pods.items()
                    if not p.deleted and (wanted is None or name == wanted)
                ]
                self._send_json(200, {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items})

            def do_DELETE(self) -> None:
                match, _ = self._route()
                pod = fake.pods.get(match["name"]) if match else None
                if pod is None or pod.deleted:
                    return self._send_json(404, {"kind": "Status", "status": "Failure", "reason": "NotFound"})
                fake.delete(pod)
                self._send_json(200, fake.pod_json(pod))

            def _stream_log(self, pod: FakePod | None, follow: bool) -> None:
                if pod is None:
                    return self._send_json(404, {"kind": "Status", "status": "Failure", "reason": "NotFound"})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Connection", "close")
                self.end_headers()
                sent = 0
                while True:
                    finished = pod.done.is_set()
                    lines = pod.lines[sent:]
                    if lines:
                        self.wfile.write(("\n".join(lines) + "\n").encode())
                        self.wfile.flush()
                        sent += len(lines)
                    if finished or not follow:
                        break
                    pod.done.wait(0.2)
                self.close_connection = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def create(self, namespace: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        manifest = {"apiVersion": "v1", "kind": "Pod", **body}
        manifest["metadata"] = {**manifest.get("metadata", {}), "namespace": namespace, "uid": str(uuid.uuid4())}
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            self.refused.append(str(exc).splitlines()[0])
            return 422, {"kind": "Status", "status": "Failure", "reason": "Invalid", "message": str(exc)}
        container = manifest["spec"]["containers"][0]
        env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        for source in container.get("envFrom", []):
            env.update(self.secrets[source["secretRef"]["name"]])
        for item in container.get("env", []):
            field_path = item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")  # the downward API
            env[item["name"]] = manifest["metadata"][field_path.split(".", 1)[1]] if field_path else item["value"]
        process = subprocess.Popen(
            [*container.get("command", []), *container.get("args", [])],
            env=env,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        pod = FakePod(manifest=manifest, process=process)
        self.pods[manifest["metadata"]["name"]] = pod
        threading.Thread(target=pod.read_output, daemon=True).start()
        return 201, self.pod_json(pod)

    def delete(self, pod: FakePod) -> None:
        """Stop and delete a pod, then (like the garbage collector) every pod it owns."""
        if pod.process.poll() is None:
            pod.process.kill()
        pod.deleted = True
        uid = pod.manifest["metadata"]["uid"]
        for other in list(self.pods.values()):
            owners = other.manifest["metadata"].get("ownerReferences", [])
            if not other.deleted and any(owner.get("uid") == uid for owner in owners):
                self.delete(other)

    def pod_json(self, pod: FakePod) -> dict[str, Any]:
        return {**pod.manifest, "status": pod.status()}

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig file that points the Kubernetes client here."""
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "fake",
                    "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                    "users": [{"name": "fake", "user": {"token": "fake-token"}}],
                    "contexts": [
                        {"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "scrape-assets"}}
                    ],
                }
            )
        )
        return path

    def __enter__(self) -> FakeKubernetes:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for pod in self.pods.values():
            if pod.process.poll() is None:
                pod.process.kill()
                pod.process.wait()
        self._server.shutdown()
        self._server.server_close()
