"""`S3PageStore`: the page store on S3 or any S3-compatible store (boto3), same layout as on disk:
`s3://<bucket>/<root prefix>/<target>/<day>/<segment>.warc.gz` (+ `.idx.jsonl`, artifacts).

A segment is streamed with a multipart upload: WARC records are written into a part buffer, and each
full part (`part_size` bytes, at least S3's 5 MiB) is uploaded as it fills, so memory holds one part,
never a crawl. When the writer closes, normally or on an error, the upload is completed: every record
written is kept (each is a whole gzip member), and the index is stored beside it. Credentials come from
boto3's own chain (environment, instance role, IRSA), never from the spec.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import IO, Any

from typing_extensions import Buffer

from scrape_assets.page_store.store import INDEX_SUFFIX, SEGMENT_SUFFIX
from scrape_assets.page_store.warc import IndexEntry, SegmentWriter, scan_index

MIN_PART_SIZE = 5 * 1024 * 1024


class MultipartUploadStream(io.RawIOBase):
    """A write-only binary stream that uploads itself to one S3 object in parts as it is written."""

    def __init__(self, client: Any, bucket: str, key: str, part_size: int = 8 * 1024 * 1024) -> None:
        super().__init__()
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size {part_size} is below S3's minimum part size of {MIN_PART_SIZE} bytes")
        self._client, self._bucket, self._key, self._part_size = client, bucket, key, part_size
        self._upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        size = memoryview(data).nbytes
        self._buffer += memoryview(data)
        self._written += size
        while len(self._buffer) >= self._part_size:
            self._upload_part(bytes(self._buffer[: self._part_size]))
            del self._buffer[: self._part_size]
        return size

    def tell(self) -> int:
        return self._written

    @property
    def parts_uploaded(self) -> int:
        return len(self._parts)

    def _upload_part(self, body: bytes) -> None:
        number = len(self._parts) + 1
        answer = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def close(self) -> None:
        """Upload what is buffered and complete the object (an empty stream still makes an object)."""
        if self.closed:
            return
        if self._buffer or not self._parts:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._client.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
        super().close()


class S3PageStore:
    """Segments as objects under `s3://bucket/root/`."""

    def __init__(
        self,
        bucket: str,
        root: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        part_size: int = 8 * 1024 * 1024,
    ):
        import boto3  # only where an S3 store is configured

        self.bucket, self.root = bucket, root.strip("/")
        self.endpoint_url, self.region, self.part_size = endpoint_url, region, part_size
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def _key(self, prefix: str, name: str) -> str:
        return "/".join(part for part in (self.root, prefix, name) if part)

    def location(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{self._key(prefix, '')}"

    @contextmanager
    def segment_writer(self, prefix: str, segment: str) -> Iterator[SegmentWriter]:
        warc = MultipartUploadStream(
            self.client, self.bucket, self._key(prefix, segment + SEGMENT_SUFFIX), self.part_size
        )
        index = io.StringIO()
        try:
            yield SegmentWriter(warc, index)
        finally:
            warc.close()  # keep what was written, error or not
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(prefix, segment + INDEX_SUFFIX), Body=index.getvalue().encode("utf-8")
            )

    def segments(self, prefix: str) -> list[str]:
        names = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix, "")):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if name.endswith(SEGMENT_SUFFIX):
                    names.append(name[: -len(SEGMENT_SUFFIX)])
        return sorted(names)

    def read_index(self, prefix: str, segment: str) -> list[IndexEntry]:
        body = self.get_artifact(prefix, segment + INDEX_SUFFIX)
        if body is not None:
            return [
                IndexEntry.from_json(line)
                for line in body.decode("utf-8").splitlines(keepends=True)
                if line.endswith("\n")
            ]
        with self.open_segment(prefix, segment) as stream:
            return scan_index(stream)

    def open_segment(self, prefix: str, segment: str) -> IO[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(prefix, segment + SEGMENT_SUFFIX))["Body"]
        return closing(body)  # type: ignore[return-value]

    def put_artifact(self, prefix: str, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(prefix, name), Body=data)

    def get_artifact(self, prefix: str, name: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(prefix, name))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def spec(self) -> dict[str, Any]:
        """Where the store is, for a crawler process (credentials travel separately, never here)."""
        return {
            "kind": "s3",
            "bucket": self.bucket,
            "root": self.root,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "part_size": self.part_size,
        }
