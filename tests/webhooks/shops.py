"""Fake WooCommerce and Saleor shops on loopback for the fulfilment tests.

They keep their coupons in memory and check every request against the shop's published
contract, so a wrong field name or type in what Parrain sends fails the test:

- WooCommerce: the writable properties of the REST API v3 coupon schema
  (``WC_REST_Coupons_V2_Controller::get_item_schema``, which ``/wc/v3/coupons`` extends),
  unknown and read-only properties refused;
- Saleor: an excerpt of ``saleor/graphql/schema.graphql`` (the types Parrain touches, with
  all their fields), executed with graphql-core, which validates the document and coerces
  the variables as Saleor's own server does.

``hold`` runs while a create request is in flight (before it is answered); ``delay`` makes
the answer late (after the coupon exists); ``fail_after_create`` answers 500 that many
times after creating the coupon.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
from graphql import GraphQLError, build_schema, graphql_sync

from .receiver import Answer, Received


def as_json(data: object, status: int = 200) -> Answer:
    return Answer(status, {"content-type": "application/json"}, json.dumps(data).encode())


class FakeShop:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.requests: list[Received] = []  # the receiver's log, set by the fixture
        self.hold: Callable[[], None] | None = None
        self.delay = 0.0
        self.fail_after_create = 0
        self.answered = threading.Event()
        self.ids = itertools.count(101)

    def _after_create(self, answer: Answer) -> Answer:
        if self.hold is not None:
            self.hold()
        if self.delay:
            time.sleep(self.delay)
        if self.fail_after_create:
            self.fail_after_create -= 1
            answer = Answer(500, body=b"upstream database went away")
        self.answered.set()
        return answer


# --- WooCommerce -------------------------------------------------------------------------

_DATE_TIME = {
    "type": ["string", "null"],
    "pattern": r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$",
}
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
_IDS = {"type": "array", "items": {"type": "integer"}}
_COUNT = {"type": ["integer", "null"], "minimum": 0}

#: The writable part of WooCommerce's coupon schema (REST API v3).
WOO_COUPON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["code"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "amount": _DECIMAL,
        "status": {"type": "string"},
        "discount_type": {"type": "string", "enum": ["percent", "fixed_cart", "fixed_product"]},
        "description": {"type": "string"},
        "date_expires": _DATE_TIME,
        "date_expires_gmt": _DATE_TIME,
        "individual_use": {"type": "boolean"},
        "product_ids": _IDS,
        "excluded_product_ids": _IDS,
        "usage_limit": _COUNT,
        "usage_limit_per_user": _COUNT,
        "limit_usage_to_x_items": _COUNT,
        "free_shipping": {"type": "boolean"},
        "product_categories": _IDS,
        "excluded_product_categories": _IDS,
        "exclude_sale_items": {"type": "boolean"},
        "minimum_amount": _DECIMAL,
        "maximum_amount": _DECIMAL,
        "email_restrictions": {"type": "array", "items": {"type": "string"}},
        "meta_data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key"],
                "additionalProperties": False,
                "properties": {"key": {"type": "string"}, "value": {}},
            },
        },
    },
}


def woo_coupon_violations(body: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(WOO_COUPON_SCHEMA)
    return [
        f"{'/'.join(map(str, e.path)) or '<body>'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


class FakeWooCommerce(FakeShop):
    PREFIX = "/wp-json/wc/v3/coupons"

    def __init__(self) -> None:
        super().__init__()
        self.coupons: dict[int, dict[str, Any]] = {}

    def __call__(self, request: Received) -> Answer:
        parts = urlsplit(request.path)
        if request.method == "POST" and parts.path == self.PREFIX:
            return self._create(request.json())
        if request.method == "GET" and parts.path == self.PREFIX:
            code = parse_qs(parts.query).get("code", [""])[0].lower()
            return as_json([c for c in self.coupons.values() if not code or c["code"] == code])
        if request.method == "DELETE" and parts.path.startswith(f"{self.PREFIX}/"):
            coupon = self.coupons.pop(int(parts.path.rsplit("/", 1)[1]), None)
            return (
                as_json(coupon) if coupon else as_json({"code": "woocommerce_rest_invalid_id"}, 404)
            )
        return Answer(404)

    def _create(self, body: Any) -> Answer:
        problems = woo_coupon_violations(body)
        if problems:
            self.violations += problems
            return as_json({"code": "rest_invalid_param", "data": {"params": problems}}, 400)
        code = body["code"].strip().lower()  # WooCommerce stores coupon codes in lower case
        if any(c["code"] == code for c in self.coupons.values()):
            return as_json(
                {
                    "code": "woocommerce_rest_coupon_code_already_exists",
                    "message": "The coupon code already exists",
                    "data": {"status": 400},
                },
                400,
            )
        coupon_id = next(self.ids)
        meta = [{"id": i, **m} for i, m in enumerate(body.get("meta_data", []), start=1)]
        coupon = {"id": coupon_id, **body, "code": code, "meta_data": meta, "usage_count": 0}
        self.coupons[coupon_id] = coupon
        return self._after_create(as_json(coupon, 201))


# --- Saleor ------------------------------------------------------------------------------

SALEOR_SCHEMA_EXCERPT = """
schema { query: Query mutation: Mutation }

scalar DateTime
scalar PositiveDecimal

type Query {
  vouchers(
    filter: VoucherFilterInput
    query: String
    channel: String
    before: String
    after: String
    first: Int
    last: Int
  ): VoucherCountableConnection
}

type Mutation {
  voucherCreate(input: VoucherInput!): VoucherCreate
  voucherChannelListingUpdate(
    id: ID!
    input: VoucherChannelListingInput!
  ): VoucherChannelListingUpdate
  voucherDelete(id: ID!): VoucherDelete
}

input VoucherInput {
  type: VoucherTypeEnum
  name: String
  code: String
  addCodes: [String!]
  startDate: DateTime
  endDate: DateTime
  discountValueType: DiscountValueTypeEnum
  products: [ID!]
  variants: [ID!]
  collections: [ID!]
  categories: [ID!]
  minCheckoutItemsQuantity: Int
  countries: [String!]
  applyOncePerOrder: Boolean
  applyOncePerCustomer: Boolean
  onlyForStaff: Boolean
  singleUse: Boolean
  usageLimit: Int
}

input VoucherChannelListingInput {
  addChannels: [VoucherChannelListingAddInput!]
  removeChannels: [ID!]
}

input VoucherChannelListingAddInput {
  channelId: ID!
  discountValue: PositiveDecimal
  minAmountSpent: PositiveDecimal
}

input VoucherFilterInput {
  status: [DiscountStatusEnum!]
  timesUsed: IntRangeInput
  discountType: [VoucherDiscountType!]
  started: DateTimeRangeInput
  search: String
  metadata: [MetadataFilter!]
  ids: [ID!]
}

input IntRangeInput { gte: Int lte: Int }
input DateTimeRangeInput { gte: DateTime lte: DateTime }
input MetadataFilter { key: String! value: String }

enum VoucherTypeEnum { SHIPPING ENTIRE_ORDER SPECIFIC_PRODUCT }
enum DiscountValueTypeEnum { FIXED PERCENTAGE }
enum DiscountStatusEnum { ACTIVE EXPIRED SCHEDULED }
enum VoucherDiscountType { FIXED PERCENTAGE SHIPPING }
enum DiscountErrorCode {
  ALREADY_EXISTS
  GRAPHQL_ERROR
  INVALID
  NOT_FOUND
  REQUIRED
  UNIQUE
  CANNOT_MANAGE_PRODUCT_WITHOUT_VARIANT
  DUPLICATED_INPUT_ITEM
  VOUCHER_ALREADY_USED
}

type DiscountError {
  field: String
  message: String
  products: [ID!]
  code: DiscountErrorCode!
  channels: [ID!]
  voucherCodes: [String!]
}

type Voucher {
  id: ID!
  name: String
  code: String
  usageLimit: Int
  used: Int!
  startDate: DateTime!
  endDate: DateTime
  applyOncePerOrder: Boolean!
  applyOncePerCustomer: Boolean!
  singleUse: Boolean!
  onlyForStaff: Boolean!
  minCheckoutItemsQuantity: Int
  type: VoucherTypeEnum!
  discountValueType: DiscountValueTypeEnum!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}
type VoucherCountableEdge { node: Voucher! cursor: String! }
type VoucherCountableConnection {
  pageInfo: PageInfo!
  edges: [VoucherCountableEdge!]!
  totalCount: Int
}

type VoucherCreate {
  discountErrors: [DiscountError!]!
  errors: [DiscountError!]!
  voucher: Voucher
}
type VoucherChannelListingUpdate {
  voucher: Voucher
  discountErrors: [DiscountError!]!
  errors: [DiscountError!]!
}
type VoucherDelete {
  discountErrors: [DiscountError!]!
  errors: [DiscountError!]!
  voucher: Voucher
}
"""


def _datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise GraphQLError("DateTime needs a time zone")
    return parsed


def _positive_decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise GraphQLError(f"{value!r} is not a decimal") from exc
    if number < 0:
        raise GraphQLError("PositiveDecimal must be at least 0")
    return number


def saleor_schema():  # type: ignore[no-untyped-def]
    schema = build_schema(SALEOR_SCHEMA_EXCERPT)
    for name, parse in (("DateTime", _datetime), ("PositiveDecimal", _positive_decimal)):
        # graphql-core 3.2 calls parse_value; 3.3 renamed it coerce_input_value
        for hook in ("parse_value", "coerce_input_value"):
            setattr(schema.type_map[name], hook, parse)
    return schema


def saleor_violations(query: str, variables: dict[str, Any]) -> list[str]:
    """What Saleor's server would refuse in this document (validation, variable types)."""
    result = graphql_sync(saleor_schema(), query, variable_values=variables)
    return [error.message for error in result.errors or []]


def _error(field: str, code: str, message: str, **extra: Any) -> dict[str, Any]:
    error = {"field": field, "code": code, "message": message, **extra}
    return {"errors": [error], "discountErrors": [error], "voucher": None}


class FakeSaleor(FakeShop):
    def __init__(self) -> None:
        super().__init__()
        self.vouchers: dict[str, dict[str, Any]] = {}
        self.listings: dict[str, dict[str, Decimal]] = {}
        self.schema = saleor_schema()
        mutation, query = self.schema.mutation_type, self.schema.query_type
        mutation.fields["voucherCreate"].resolve = self._create  # type: ignore[union-attr]
        mutation.fields["voucherChannelListingUpdate"].resolve = self._listing  # type: ignore[union-attr]
        mutation.fields["voucherDelete"].resolve = self._delete  # type: ignore[union-attr]
        query.fields["vouchers"].resolve = self._find  # type: ignore[union-attr]
        self._created = False

    def __call__(self, request: Received) -> Answer:
        body = request.json()
        self._created = False
        result = graphql_sync(
            self.schema, body["query"], variable_values=body.get("variables") or {}
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            self.violations += [error.message for error in result.errors]
            answer["errors"] = [error.formatted for error in result.errors]
        response = as_json(answer, 400 if result.data is None else 200)
        return self._after_create(response) if self._created else response

    def _create(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        codes = input.get("addCodes") or ([input["code"]] if input.get("code") else [])
        taken = [c for c in codes if any(v["code"] == c for v in self.vouchers.values())]
        if taken:
            return _error(
                "codes", "ALREADY_EXISTS", "Promo code already exists.", voucherCodes=taken
            )
        voucher_id = base64.b64encode(f"Voucher:{next(self.ids)}".encode()).decode()
        voucher = {
            "id": voucher_id,
            "name": input.get("name"),
            "code": codes[0] if codes else None,
            "usageLimit": input.get("usageLimit"),
            "used": 0,
            "startDate": datetime.now().astimezone(),
            "endDate": input.get("endDate"),
            "applyOncePerOrder": bool(input.get("applyOncePerOrder")),
            "applyOncePerCustomer": bool(input.get("applyOncePerCustomer")),
            "singleUse": bool(input.get("singleUse")),
            "onlyForStaff": bool(input.get("onlyForStaff")),
            "type": input.get("type", "ENTIRE_ORDER"),
            "discountValueType": input.get("discountValueType", "FIXED"),
        }
        self.vouchers[voucher_id] = voucher
        self._created = True
        return {"errors": [], "discountErrors": [], "voucher": voucher}

    def _listing(self, _root: Any, _info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        if id not in self.vouchers:
            return _error("id", "NOT_FOUND", "Voucher not found.")
        listing = self.listings.setdefault(id, {})
        for channel in input.get("addChannels") or []:
            listing[channel["channelId"]] = channel.get("discountValue")
        return {"errors": [], "discountErrors": [], "voucher": self.vouchers[id]}

    def _delete(self, _root: Any, _info: Any, id: str) -> dict[str, Any]:
        voucher = self.vouchers.pop(id, None)
        if voucher is None:
            return _error("id", "NOT_FOUND", "Voucher not found.")
        return {"errors": [], "discountErrors": [], "voucher": voucher}

    def _find(self, _root: Any, _info: Any, filter: dict | None = None, **_: Any) -> dict[str, Any]:
        search = str((filter or {}).get("search") or "").lower()
        found = [
            v
            for v in self.vouchers.values()
            if search in str(v["code"]).lower() or search in str(v["name"]).lower()
        ]
        return {
            "edges": [{"node": v, "cursor": v["id"]} for v in found],
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False},
            "totalCount": len(found),
        }
