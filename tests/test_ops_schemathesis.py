"""schemathesis against /api/openapi.json (docs/operations.md "Who reaches what"): a bounded
number of generated requests per operation, with a fixed seed, as root; no answer may be a 5xx.

Bounded so that it fits in the suite's time (max_examples per operation), derandomized so that
a failure is the same on every run. Checked: not_a_server_error. (Response bodies are not yet
described for every operation in the document, so response_schema_conformance is not on.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis.checks import not_a_server_error

from ops_support import Instance

MAX_EXAMPLES = 6


@pytest.fixture(scope="module")
def fuzzed(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("fuzz"), "fuzz",
                        M3M_AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS="100000").start()
    yield instance
    instance.close()


def test_no_generated_request_gets_a_server_error(fuzzed):
    # The log stream is a server-sent event stream that does not end: not a request/response.
    api = schemathesis.openapi.from_url(fuzzed.server.url + "/api/openapi.json").exclude(path_regex=r".*/logs/stream$")
    failures, operations, calls = [], 0, []
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @seed(20261202)
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call_and_validate(base_url=fuzzed.server.url, headers=fuzzed.headers,
                                              checks=[not_a_server_error], timeout=30)
            calls.append(response.status_code)

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; all are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert operations > 80 and len(calls) > 2 * operations
    assert failures == [], "\n\n".join(failures)
