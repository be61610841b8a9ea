"""The OpenAPI document names a schema for every answer, and for every live event.

Every property in it says what it is: a type, a named schema or, for free-form
JSON, a description.
"""

from __future__ import annotations

import pytest

SUCCESS = ("200", "201", "202")
NULL = {"type": "object", "nullable": True}


def _component(spec: dict, ref: str) -> dict:
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def bare_objects(spec: dict, schema: dict, where: str, seen: set) -> list[str]:
    """Return every object under ``schema`` whose shape the document does not say."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen.add(schema["$ref"])
        return bare_objects(spec, _component(spec, schema["$ref"]), schema["$ref"], seen)
    found = []
    for name, prop in schema.get("properties", {}).items():
        found += bare_objects(spec, prop, f"{where}.{name}", seen)
    if "items" in schema:
        found += bare_objects(spec, schema["items"], f"{where}[]", seen)
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        if part != NULL:  # apispec's spelling of a nullable nested schema: null or the $ref
            found += bare_objects(spec, part, where, seen)
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        found += bare_objects(spec, values, f"{where}{{}}", seen)
    is_object = schema.get("type") == "object" or "properties" in schema
    typed = schema.get("properties") or isinstance(values, dict) and values
    if is_object and not typed and not schema.get("description"):
        found.append(where)
    return found


def unsaid_properties(schema: dict, where: str) -> list[str]:
    """Return every property under ``schema`` with neither a type, a $ref nor a description."""
    found = []
    for name, prop in schema.get("properties", {}).items():
        parts = prop.get("allOf", []) + prop.get("anyOf", []) + prop.get("oneOf", [])
        if not ({"type", "$ref", "description"} & set(prop) or parts):
            found.append(f"{where}.{name}")
        found += unsaid_properties(prop, f"{where}.{name}")
        for part in parts:
            found += unsaid_properties({"properties": {name: part}}, where)
    if "items" in schema:
        found += unsaid_properties(schema["items"], f"{where}[]")
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        found += unsaid_properties(values, f"{where}{{}}")
    return found


def documented_schemas(spec: dict):
    """Yield every schema of the document: the named ones, and those written in place."""
    yield from spec["components"]["schemas"].items()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            bodies = [("body", op.get("requestBody", {}))] + list(op.get("responses", {}).items())
            for status, body in bodies:
                for kind, content in body.get("content", {}).items():
                    yield f"{method.upper()} {path} {status} {kind}", content.get("schema", {})


def answers(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for status, response in op["responses"].items():
                if status in SUCCESS:
                    yield f"{method.upper()} {path} {status}", response


@pytest.fixture()
def spec(client):
    return client.get("/api/openapi.json").get_json()


def test_every_success_answer_is_a_named_schema(spec):
    anonymous, bare = [], []
    for where, response in answers(spec):
        content = response.get("content", {}).get("application/json")
        if content is None:  # 204 and non-JSON answers carry no body to name
            continue
        schema = content["schema"]
        if "$ref" not in schema:
            anonymous.append(where)
            continue
        bare += bare_objects(spec, schema, where, set())
    assert not anonymous, f"answers without a named schema: {anonymous}"
    assert not bare, f"objects of unknown shape: {bare}"


def test_the_checker_catches_a_bare_dict_and_an_anonymous_answer():
    spec = {"components": {"schemas": {"A": {"type": "object", "properties": {
        "ok": {"type": "object", "additionalProperties": {"type": "integer"}},
        "said": {"type": "object", "description": "the game type's params"},
        "bare": {"type": "object"}}}}}}
    assert bare_objects(spec, {"$ref": "#/components/schemas/A"}, "x", set()) == [
        "#/components/schemas/A.bare"]
    paths = {"paths": {"/p": {"get": {"responses": {"200": {"description": "x"}}}}}}
    assert [w for w, _ in answers(paths)] == ["GET /p 200"]


def test_every_property_says_what_it_is(spec):
    unsaid = []
    for where, schema in documented_schemas(spec):
        unsaid += unsaid_properties(schema, where)
    assert not unsaid, f"properties with no type, $ref or description: {unsaid}"


def test_the_checker_catches_a_property_that_says_nothing():
    spec = {"components": {"schemas": {"A": {"type": "object", "properties": {
        "typed": {"type": "string", "nullable": True},
        "named": {"$ref": "#/components/schemas/B"},
        "said": {"description": "JSON condition"},
        "either": {"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "object"}]},
        "list": {"type": "array", "items": {"type": "object", "properties": {"deep": {}}}},
        "blank": {"readOnly": True},
        "blank_part": {"allOf": [{"nullable": True}]}}}}},
        "paths": {"/p": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"type": "object", "properties": {"raw": {}}}}}}}}}}
    unsaid = []
    for where, schema in documented_schemas(spec):
        unsaid += unsaid_properties(schema, where)
    assert unsaid == ["A.list[].deep", "A.blank", "A.blank_part",
                      "POST /p body application/json.raw"]


def test_the_live_events_are_documented(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["LeaderboardPush"]["properties"]) == {
        "campaign", "period", "period_key", "entries", "version", "epoch"}
    assert set(schemas["MyRankPush"]["properties"]) == {"rank", "score", "period", "campaign"}
