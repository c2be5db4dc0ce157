"""The platform catalog as this checkout has it (compose/catalog/)."""
from __future__ import annotations

import functools

from symphony.errors import UsageError
from symphony.infra import state

CATALOG_DIR = state.COMPOSE_DIR / "catalog"


@functools.lru_cache(maxsize=1)
def platform_catalog():
    from symphony.core.platform.catalog import CatalogError, load_catalog

    try:
        return load_catalog(CATALOG_DIR)
    except CatalogError as exc:
        raise UsageError(f"the platform catalog is inconsistent: {exc}", hint="fix the file it names") from None
