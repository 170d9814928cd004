"""A test client for ``/api/v1/manage/…`` with an account key (``mk_…``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from parrain.core.models import AccountKey


@dataclass
class ManageClient:
    account_key: AccountKey
    key: str
    client: Client

    @property
    def actor(self) -> str:
        return f"api:{self.account_key.prefix}"

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        key = extra.pop("key", self.key)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return getattr(self.client, method)(
            f"/api/v1/manage{path}",
            data=data,
            content_type=extra.pop("content_type", "application/json"),
            HTTP_ACCEPT_LANGUAGE="en",
            **headers,
            **extra,
        )


@pytest.fixture
def manage(db: Any) -> ManageClient:
    account_key, clear = AccountKey.create("tests")
    return ManageClient(account_key=account_key, key=clear, client=Client())
