"""The HTTP API: ``/api/v1/`` for servers (secret key); widget endpoints come later."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Parrain API",
    version="1",
    urls_namespace="parrain-api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
