"""Print the OpenAPI document of ``/api/v1/``, as committed in ``docs/openapi.json``.

Regenerate with ``.venv/bin/python -m parrain.core.api.export_openapi > docs/openapi.json``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

API_PREFIX = "/api/v1/"


def openapi_document() -> dict[str, Any]:
    from . import api

    return dict(api.get_openapi_schema(path_prefix=API_PREFIX))


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
