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
