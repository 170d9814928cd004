"""Typed ``PARRAIN_*`` settings, read once and reloaded when a test overrides them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from pydantic import BaseModel, ConfigDict, Field


class BackendSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    BACKEND: str
    OPTIONS: dict[str, Any] = Field(default_factory=dict)


class SmsSettings(BaseModel):
    """``PARRAIN_SMS``: the SMS backend and, for ``HttpBackend``, the provider's API
    (core/messaging/sms.py documents each key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    BACKEND: str = "parrain.core.messaging.sms.ConsoleBackend"
    URL: str = ""
    HEADERS: dict[str, str] = Field(default_factory=dict)
    # A JSON value (or its text) whose strings may hold {to}, {text} and {sender}.
    BODY: Any = Field(default_factory=lambda: {"to": "{to}", "text": "{text}", "from": "{sender}"})
    BODY_FORMAT: Literal["json", "form"] = "json"
    SENDER: str = ""
    TIMEOUT: Annotated[float, Field(gt=0, le=120)] = 10.0
    # Where the provider's message id is in its JSON answer: "id", "messages.0.message-id".
    ID_FIELD: str = "id"
    # The shared secret of the inbound endpoint (STOP replies); empty: the endpoint is off.
    INBOUND_TOKEN: str = ""
    # Anything a third-party backend needs.
    OPTIONS: dict[str, Any] = Field(default_factory=dict)


class ParrainSettings(BaseModel):
    """Every setting the core reads; each maps to ``PARRAIN_<NAME>`` in Django settings."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    BASE_URL: str = "http://127.0.0.1:8000"
    FULFILMENT: BackendSetting = BackendSetting(
        BACKEND="parrain.core.fulfilment.generated.GeneratedCodeBackend"
    )
    CODE_LENGTH: Annotated[int, Field(ge=6, le=32)] = 8
    REWARD_CODE_LENGTH: Annotated[int, Field(ge=8, le=32)] = 10
    DEFAULT_FROM_EMAIL: str | None = None
    SMS: SmsSettings = SmsSettings()
    # Phone numbers written without a country code are read as numbers of this region
    # (ISO 3166 code) and stored in E.164 form.
    PHONE_REGION: Annotated[str, Field(pattern="^[A-Z]{2}$")] = "FR"
    API_MAX_BODY_BYTES: Annotated[int, Field(ge=1024)] = 8 * 1024 * 1024
    BULK_MAX_ROWS: Annotated[int, Field(ge=1)] = 10_000
    # Contact imports (issue 14) write and commit this many rows at a time: a worker
    # restarted mid-import resumes after the last committed batch.
    IMPORT_BATCH: Annotated[int, Field(ge=1, le=50_000)] = 5_000
    # Data minimisation of uploaded customer files (the ``discard_import_files`` task, daily):
    # an import left waiting on a person (columns never matched, dry run never confirmed, a
    # failure never resumed) this long is cancelled and its file deleted; the invalid-rows
    # file of a finished import is deleted this long after it finished.
    IMPORT_ABANDONED_AFTER: Annotated[timedelta, Field(ge=timedelta(hours=1))] = timedelta(days=7)
    IMPORT_ERRORS_KEPT: Annotated[timedelta, Field(ge=timedelta(hours=1))] = timedelta(days=30)
    PAGE_SIZE: Annotated[int, Field(ge=1, le=1000)] = 50
    VALIDATION_SWEEP_BATCH: Annotated[int, Field(ge=1)] = 500
    # Orders accepted for background attribution are drained by this many drainers per
    # program, each on its own slot (one customer's orders always share one slot).
    ORDER_DRAINS: Annotated[int, Field(ge=1, le=64)] = 4
    DISPOSABLE_DOMAINS_EXTRA: list[str] = Field(default_factory=list)
    # Public widget API and share link: (requests, seconds) per scope, merged over
    # PUBLIC_RATE_DEFAULTS.
    PUBLIC_RATE_LIMITS: dict[str, tuple[int, int]] = Field(default_factory=dict)
    # Header holding the client IP behind a trusted reverse proxy, e.g. "X-Forwarded-For"
    # (its last entry is used); empty: REMOTE_ADDR.
    CLIENT_IP_HEADER: str = ""
    # Redis URL: share-link clicks are queued there and written by the flush_share_clicks
    # task (schedule it); empty: each click is written to the database at once.
    SHARE_CLICK_BUFFER: str = ""
    # The Redis list holding those clicks: distinct per installation sharing one Redis.
    SHARE_CLICK_QUEUE: Annotated[str, Field(min_length=1)] = "parrain:share-clicks"
    # The share link keeps this many of the most recent referrers' codes in each web
    # process's memory (about 190 bytes each), read again every 30 s: their clicks make no
    # database round trip. Other codes are looked up one by one. 0: none kept.
    SHARE_CODES_IN_MEMORY: Annotated[int, Field(ge=0)] = 50_000
    # After a secret is rotated (the program's identity secret, a webhook endpoint's signing
    # secret), the previous one is still accepted this long, then refused.
    SECRET_ROTATION_GRACE: Annotated[timedelta, Field(ge=timedelta(0))] = timedelta(days=7)
    # Shops date orders in whole seconds (Shopify, WooCommerce) by their own clock: an order
    # placed up to this long "before" the friend's invitation or claim still counts.
    ORDER_CLOCK_SKEW: Annotated[timedelta, Field(ge=timedelta(0), le=timedelta(hours=1))] = (
        timedelta(minutes=5)
    )

    # Order events of the inbound webhooks (every source) are accepted at once (202,
    # ``order_queued``) and attributed by a worker, as when the request carries ``Prefer:
    # respond-async``: for platforms that cannot send a header. A Celery worker must run
    # (docs/deploy.md); refunds keep their synchronous answers.
    ORDERS_IN_BACKGROUND: bool = False

    # Recording an order binds its values on the server and lets PostgreSQL prepare each
    # of its statements once per connection (parsing and planning were a fifth of an
    # order's time). False behind a pooler that cannot keep prepared statements (PgBouncer
    # in transaction mode before 1.21, or without ``max_prepared_statements``).
    PREPARED_ORDERS: bool = True

    # Outbound calls of the core (regular imports fetching a customer file) may reach
    # private, loopback and link-local addresses only when this is True (tests, the demo);
    # DEBUG does not change it, and a system check warns when it is on outside DEBUG.
    ALLOW_PRIVATE_TARGETS: bool = False

    def rate_limit(self, scope: str) -> tuple[int, int]:
        return self.PUBLIC_RATE_LIMITS.get(scope) or PUBLIC_RATE_DEFAULTS[scope]


PUBLIC_RATE_DEFAULTS: dict[str, tuple[int, int]] = {
    "ip": (300, 60),  # any public request, per client IP
    "ip_write": (20, 60),  # enrol, invite, claim, code lookup, per client IP
    "referrer_invite": (10, 3600),  # invitation requests per referrer
    "referrer_claim": (30, 3600),  # claims with one referrer's code
    # /r/<code> per client IP: a crowd shares the link, each visitor from their own address
    "share_link": (60, 60),
    # SMS provider's inbound calls (STOP replies) per client IP: one provider sends them all
    "sms_inbound": (600, 60),
}


def _load() -> ParrainSettings:
    values = {
        name.removeprefix("PARRAIN_"): getattr(django_settings, name)
        for name in dir(django_settings)
        if name.startswith("PARRAIN_")
    }
    return ParrainSettings(**values)


class LazySettings:
    """A pydantic settings model read on first use, and again after a setting changes.

    ``load`` builds the model from Django's settings; ``watches(name)`` tells which setting
    changes (``override_settings`` in tests, ``setting_changed``) make it stale. Plugins
    use it for their own dict setting through :func:`dict_setting`.
    """

    def __init__(self, load: Callable[[], BaseModel], watches: Callable[[str], bool]) -> None:
        self._load = load
        self._watches = watches
        self._wrapped: BaseModel | None = None
        setting_changed.connect(self._on_change, weak=False)

    def __getattr__(self, name: str) -> Any:
        if self._wrapped is None:
            self._wrapped = self._load()
        return getattr(self._wrapped, name)

    def reload(self) -> None:
        self._wrapped = None

    def _on_change(self, *, setting: str, **kwargs: Any) -> None:
        if self._watches(setting):
            self.reload()


def dict_setting(name: str, model: type[BaseModel]) -> LazySettings:
    """Settings of a plugin kept in one dict, e.g. ``PARRAIN_OSCAR = {...}``."""
    return LazySettings(
        lambda: model(**getattr(django_settings, name, {})), lambda setting: setting == name
    )


parrain_settings = LazySettings(_load, lambda setting: setting.startswith("PARRAIN_"))
