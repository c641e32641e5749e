"""The editor's typings compile: `tsc --noEmit --checkJs` over example services that use every
$ API, with the declarations the server generates for a project (tools/typecheck has tsc).
An example's data models (examples/{name}.models.json) are created in the project first, so its
`$database.<model>` properties are declared."""

import json

import pytest
from conftest import ROOT
from runtime_support import new_service, tsc

EXAMPLES = sorted((ROOT / "examples").glob("*.js"))
# Every $ API of the runtime (docs/runtime/apis.md) that the server has by now.
RUNTIME_APIS = (
    "$service", "$router", "$logger", "$env", "$goals", "$crypto", "$encoding", "$strings", "$delayed", "$schedule",
    "$storage", "$image", "$draw", "$http", "$smtp", "$database",
)



@pytest.fixture(scope="module")
def typings(client, root_headers) -> str:
    service = new_service(client, root_headers)
    for models in sorted((ROOT / "examples").glob("*.models.json")):
        for model in json.loads(models.read_text()):
            made = client.post(service.api("/models"), json=model, headers=root_headers)
            assert made.status_code == 201, made.text
    response = client.get(service.api("/runtime/typings"), headers=root_headers)
    assert response.status_code == 200
    return response.text



def test_every_runtime_api_is_declared(typings):
    for name in RUNTIME_APIS:
        assert f"declare const {name}" in typings, f"{name} is not declared"


def test_examples_use_every_api():
    text = "\n".join(path.read_text() for path in EXAMPLES)
    for name in RUNTIME_APIS:
        assert f"{name}." in text, f"no example in examples/ uses {name}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_compiles(tmp_path, typings, example):
    result = tsc(tmp_path, typings, example.read_text())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "source, error",
    [
        ("$nope.run()", "Cannot find name '$nope'"),
        ("$router.get(42, () => 1)", "not assignable"),
        ("$logger.shout('x')", "Property 'shout' does not exist"),
        ("fetch('http://x')", "Cannot find name 'fetch'"),
    ],
)
def test_the_check_catches_mistakes(tmp_path, typings, source, error):
    result = tsc(tmp_path, typings, "// @ts-check\n" + source + "\n")
    assert result.returncode != 0
    assert error in result.stdout
