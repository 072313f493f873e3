"""Target configuration: the YAML files that declare each site, parsed into typed objects."""

from scrape_assets.target_config.folder import FolderLoad, TargetFilesInvalid, TargetFolder
from scrape_assets.target_config.loader import TargetConfigError, load_target, load_targets
from scrape_assets.target_config.models import FieldSpec, TargetConfig

__all__ = [
    "FieldSpec",
    "FolderLoad",
    "TargetConfig",
    "TargetConfigError",
    "TargetFilesInvalid",
    "TargetFolder",
    "load_target",
    "load_targets",
]
