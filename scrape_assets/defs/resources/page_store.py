"""The page store as a Dagster resource: where raw pages are kept, for the crawler and for extraction."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

from dagster import ConfigurableResource

from scrape_assets.page_store import LocalPageStore, PageStore


class PageStoreResource(ConfigurableResource):
    """Opens the page store; `spec()` describes it to a crawler process."""

    @abstractmethod
    def store(self) -> PageStore:
        """The store, for reading and writing segments."""

    @abstractmethod
    def spec(self) -> dict[str, str]:
        """A JSON-able description a crawler process can open the same store from."""


class LocalPageStoreResource(PageStoreResource):
    """WARC segments on local disk under `root` (the embedded default: `data/pages`)."""

    root: str

    def store(self) -> PageStore:
        return LocalPageStore(Path(self.root))

    def spec(self) -> dict[str, str]:
        return LocalPageStore(Path(self.root)).spec()


class S3PageStoreResource(PageStoreResource):
    """WARC segments on S3 or an S3-compatible store (`endpoint_url`), under `s3://bucket/prefix/`.
    Credentials come from boto3's chain (environment, instance role), never from this config."""

    bucket: str
    prefix: str = "pages"
    endpoint_url: str | None = None
    region: str | None = None
    part_size_bytes: int = 8 * 1024 * 1024

    def store(self) -> PageStore:
        from scrape_assets.page_store.s3 import S3PageStore

        return S3PageStore(self.bucket, self.prefix, self.endpoint_url, self.region, self.part_size_bytes)

    def spec(self) -> dict[str, str]:
        return self.store().spec()
