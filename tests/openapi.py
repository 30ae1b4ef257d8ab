"""Checks a test-client response against our published OpenAPI schema, as the fuzz test
(tests/test_api_fuzz.py) does: the status must be documented and the body must match."""

import json
from functools import cache

import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.core.transport import Response


@cache
def raw_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


@cache
def _schema():
    return schemathesis.openapi.from_dict(raw_schema())


def assert_matches_schema(response, method: str, path: str) -> None:
    """`path` is the operation's template, e.g. "/api/v1/huddles/{id}/"."""
    __tracebackhide__ = True
    documented = raw_schema()["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, (response.status_code, sorted(documented))
    operation = _schema()[path][method.upper()]
    request = requests.Request(
        method=method.upper(), url=f"http://localhost{response.wsgi_request.get_full_path()}"
    ).prepare()
    converted = Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=request,
        elapsed=0.0,
        verify=False,
    )
    operation.validate_response(converted)  # raises, saying where the body differs
