"""Print the OpenAPI document of ``/api/v1/``, as committed in ``docs/openapi.json``.

Regenerate with ``.venv/bin/python -m parrain.core.api.export_openapi > docs/openapi.json``;
``--public`` prints the public widget API's (``/api/v1/public/``, docs/openapi-public.json).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

API_PREFIX = "/api/v1/"
PUBLIC_PREFIX = "/api/v1/public/"


def openapi_document(public: bool = False) -> dict[str, Any]:
    from . import api, public_api

    if public:
        return dict(public_api.get_openapi_schema(path_prefix=PUBLIC_PREFIX))
    return dict(api.get_openapi_schema(path_prefix=API_PREFIX))


def render(public: bool = False) -> str:
    document = openapi_document(public)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    sys.stdout.write(render(public="--public" in sys.argv[1:]))


if __name__ == "__main__":
    main()
