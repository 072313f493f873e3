"""`S3PageStore`: the page store on S3 or any S3-compatible store (boto3), same layout as on disk:
`s3://<bucket>/<root prefix>/<target>/<day>/<segment>.warc.gz` (+ `.idx.jsonl`, artifacts).

A segment is streamed with a multipart upload: WARC records are written into a part buffer, and each
full part (`part_size` bytes, at least S3's 5 MiB) is uploaded as it fills, so memory holds one part,
never a crawl. When the writer closes, normally or on an error, the upload is completed: every record
written is kept (each is a whole gzip member), and the index is stored beside it.

A crawler killed outright (SIGKILL, OOM, a lost node) cannot complete its upload, and S3 shows
nothing of an incomplete one. So each flush of the writer (about every second, `page_store_writer`)
also stores the bytes after the last finished part as `<segment>.warc.gz.tail`, naming that part: the
finished parts and the tail hold every record flushed. The next try of the day (`recover`) completes
such an upload with those parts and the tail, writes its index, and aborts what cannot be kept: no
more than the flush interval of pages is lost, and no incomplete upload is left to cost storage. A
bucket lifecycle rule (`AbortIncompleteMultipartUpload`, README) catches uploads no try came back for.
A flush re-uploads the unfinished part (at most `part_size`). Credentials come from boto3's own chain
(environment, instance role, IRSA), never from the spec.
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
TAIL_SUFFIX = ".tail"  # after the segment object's key: the flushed bytes past its last finished part
AFTER_PART = "after-part"  # the tail object's metadata: how many finished parts come before it


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
        self._tail_stored: tuple[int, int] | None = None  # (parts before it, its length) once stored
        self._completed = False

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

    def checkpoint(self) -> None:
        """Store the bytes past the last finished part as the tail object: with the finished parts, they
        hold everything written so far, should this process die before `close`. (Not `flush`: warcio
        flushes its stream after every record.)"""
        if self._completed or self._tail_stored == (len(self._parts), len(self._buffer)):
            return
        self._client.put_object(
            Bucket=self._bucket,
            Key=self._key + TAIL_SUFFIX,
            Body=bytes(self._buffer),
            Metadata={AFTER_PART: str(len(self._parts))},
        )
        self._tail_stored = (len(self._parts), len(self._buffer))

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
        if self.closed or self._completed:
            return
        if self._buffer or not self._parts:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._client.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
        self._completed = True
        if self._tail_stored is not None:  # the object holds it all now
            self._client.delete_object(Bucket=self._bucket, Key=self._key + TAIL_SUFFIX)
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
            yield SegmentWriter(warc, index, checkpoint=warc.checkpoint)
        finally:
            warc.close()  # keep what was written, error or not
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(prefix, segment + INDEX_SUFFIX), Body=index.getvalue().encode("utf-8")
            )

    def recover(self, prefix: str, mark: str = "") -> list[str]:
        """Keep what crawlers killed mid-segment flushed, for segments whose name holds `mark`: each
        incomplete upload is completed with its finished parts and its tail (or aborted when nothing was
        flushed), its index written, and the tail removed. Call it only when no crawler writes those
        segments. Returns the segments recovered."""
        recovered = []
        uploads = self.client.get_paginator("list_multipart_uploads")
        for page in uploads.paginate(Bucket=self.bucket, Prefix=self._key(prefix, "")):
            for upload in page.get("Uploads", []):
                key, name = upload["Key"], upload["Key"].rsplit("/", 1)[-1]
                if not name.endswith(SEGMENT_SUFFIX) or mark not in name:
                    continue
                if self._recover_upload(key, upload["UploadId"]):
                    recovered.append(name[: -len(SEGMENT_SUFFIX)])
        for segment in recovered:
            with self.open_segment(prefix, segment) as stream:
                entries = scan_index(stream)
            body = "".join(entry.to_json() + "\n" for entry in entries).encode("utf-8")
            self.client.put_object(Bucket=self.bucket, Key=self._key(prefix, segment + INDEX_SUFFIX), Body=body)
        return recovered

    def _recover_upload(self, key: str, upload_id: str) -> bool:
        """Complete one dead upload from its finished parts and tail; False when it held nothing flushed."""
        try:
            tail = self.client.get_object(Bucket=self.bucket, Key=key + TAIL_SUFFIX)
        except self.client.exceptions.NoSuchKey:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            return False
        after, tail_bytes = int(tail["Metadata"].get(AFTER_PART, "0")), tail["Body"].read()
        parts = []
        for page in self.client.get_paginator("list_parts").paginate(Bucket=self.bucket, Key=key, UploadId=upload_id):
            parts += [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in page.get("Parts", [])]
        kept = sorted((p for p in parts if p["PartNumber"] <= after), key=lambda p: p["PartNumber"])
        if after == 0:  # no finished part before the tail: the tail is the segment
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            self.client.put_object(Bucket=self.bucket, Key=key, Body=tail_bytes)
        elif len(kept) < after:  # a part the tail follows is missing: what is left starts mid-record
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            self.client.delete_object(Bucket=self.bucket, Key=key + TAIL_SUFFIX)
            return False
        else:
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": kept}
            )
            if tail_bytes:  # the completed parts, then the tail, as one object again
                self._append(key, tail_bytes)
        self.client.delete_object(Bucket=self.bucket, Key=key + TAIL_SUFFIX)
        return True

    def _append(self, key: str, data: bytes) -> None:
        """`key` followed by `data`, in place: a copy of the object as the first part (S3 copies it), the
        data as the last."""
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        copied = self.client.upload_part_copy(
            Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=1, CopySource={"Bucket": self.bucket, "Key": key}
        )
        last = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=2, Body=data)
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
                    {"PartNumber": 2, "ETag": last["ETag"]},
                ]
            },
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
