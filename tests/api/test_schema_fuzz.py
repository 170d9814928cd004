"""The published OpenAPI schemas and the server agree, and nothing answers 500 (issue 16).

Schemathesis reads docs/openapi.json and docs/openapi-public.json (what integrators get,
written by ``make openapi``), generates requests for every operation, valid and invalid,
and calls the Django app in-process (WSGI) against PostgreSQL. A run fails on:

- any 5xx;
- a status, content type, header or body the schema does not declare;
- an invalid request (by the schema) that the server accepts (negative data rejection);
- a valid request (by the schema) that the server's own request validation refuses: the
  422 ``invalid-input`` raised while reading the request, told apart here from a program
  rule's refusal (wrong currency, refund above what remains), which the schema cannot know.

NUL characters are not generated: the APIs refuse them in every string (a documented rule,
tested in test_bad_input.py), which JSON Schema cannot say of every string.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from ninja.errors import ValidationError
from schemathesis.config import GenerationConfig, SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from parrain.core.api.main import api, public_api
from parrain.core.factories import ProgramFactory
from parrain.core.models import AccountKey, Program
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, record_order

DOCS = Path(__file__).resolve().parents[2] / "docs"
SLUG = "fuzz"
PUBLIC_KEY = "pk_fuzzing0000000000000000"
SECRET_HEADER = "X-Fuzz-Schema-Refusal"
SEED = 16
EXAMPLES = 20

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Phone numbers the libphonenumber metadata holds valid (French, the programs' default
# region, and international ones); "phone" is a format of ours, documented in the schema.
schemathesis.openapi.format(
    "phone",
    st.sampled_from(["", "+33612345678", "06 12 34 56 78", "+14155552671", "+442071838750"]),
)


def _schema(name: str, path_parameters: dict[str, str]) -> Any:
    config = SchemathesisConfig()
    project = config.projects.default
    project.generation = GenerationConfig(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
        allow_x00=False,
        deterministic=True,
    )
    project.update(base_url="http://testserver", parameters=path_parameters)
    schema = schemathesis.openapi.from_path(DOCS / name, config=config)
    schema.app = get_wsgi_application()  # called in-process, no server
    return schema


server_schema = _schema("openapi.json", {"slug": SLUG, "external_id": "O-1"})
public_schema = _schema("openapi-public.json", {"key": PUBLIC_KEY})


@pytest.fixture
def seeded(settings: Any) -> tuple[Program, str]:
    """A program with a referrer (code in the public lookups) and an order O-1 to refund."""
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {}
    program = ProgramFactory(slug=SLUG, public_key=PUBLIC_KEY, currency="EUR")
    enrol_referrer(program, "alice@example.com", first_name="Alice")
    record_order(
        program, OrderData(external_id="O-1", email="bob@example.org", amount=80, currency="EUR")
    )
    _, key = program.create_api_key("fuzz")
    return program, key


@pytest.fixture
def app() -> Iterator[None]:
    """Like the test client, requests keep the test's database connection open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _mark_schema_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tag the 422s of request validation (not those of program rules) for the check below."""
    for ninja_api in (api, public_api):
        handlers = dict(ninja_api._exception_handlers)
        original = handlers[ValidationError]

        def marked(request: Any, exc: Any, original: Any = original) -> Any:
            response = original(request, exc)
            response[SECRET_HEADER] = "1"
            return response

        handlers[ValidationError] = marked
        monkeypatch.setattr(ninja_api, "_exception_handlers", handlers)


@schemathesis.check
def valid_requests_pass_validation(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request valid by the schema is never refused by the server's request validation."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.headers.get(SECRET_HEADER):
        raise AssertionError(
            f"The schema allows this request but the server refused it: {response.text}"
        )
    return None


HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _call(case: Any, headers: dict[str, str]) -> None:
    case.call_and_validate(
        headers=headers,
        additional_checks=[valid_requests_pass_validation],
        # Replaced by valid_requests_pass_validation: a program rule may refuse valid data.
        excluded_checks=[positive_data_acceptance],
    )


MANAGE_PATHS = r"^/api/v1/manage/"


@server_schema.exclude(path_regex=MANAGE_PATHS).parametrize()
@HYPOTHESIS
def test_server_api_agrees_with_its_schema(case: Any, app: Any, seeded: Any) -> None:
    _call(case, {"Authorization": f"Bearer {seeded[1]}"})


@server_schema.include(path_regex=MANAGE_PATHS).parametrize()
@HYPOTHESIS
def test_management_api_agrees_with_its_schema(case: Any, app: Any, seeded: Any) -> None:
    """With an account key; the seeded program holds contacts, so a DELETE without
    ``confirm=fuzz`` is a 409 and the other operations keep finding it."""
    _, account_key = AccountKey.create("fuzz")
    _call(case, {"Authorization": f"Bearer {account_key}"})


@public_schema.parametrize()
@HYPOTHESIS
def test_public_api_agrees_with_its_schema(case: Any, app: Any, seeded: Any) -> None:
    _call(case, {})
