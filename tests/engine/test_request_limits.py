"""The boundary: body limits, JSON nesting, control characters, bounded ids, the error rule."""

from __future__ import annotations

import json
import socket

import pytest
from marshmallow import validate

from engine import errors
from engine.api import errors as api_errors
from engine.api.guards import INT_MAX, MAX_JSON_DEPTH, MOVES_BODY_BYTES
from engine.extensions import db
from games import GAME_TYPES
from games.racing.schema import MAX_TICK
from games.synthesis.schema import MAX_T_MS
from tests.engine.test_admin_api import bearer
from tests.factories import make_brand, make_campaign, make_marketer

FINISH = "/api/v1/sessions/s1/finish"
# the widest honest move of each replayed game type, as its client writes it
WIDEST_MOVE = {"synthesis": {"d": "U", "t": MAX_T_MS}, "racing": {"k": MAX_TICK, "a": "L"}}


def error_of(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["fields"], dict)
    return body["error"]


@pytest.fixture
def brand(app):
    return make_brand("alpha")


@pytest.fixture
def auth(brand):
    return bearer(make_marketer(brand))


def _max_moves(game) -> int:
    field = game.moves_schema().fields["moves"]
    return next(v.max for v in field.validators if isinstance(v, validate.Length))


@pytest.mark.parametrize("name", sorted(n for n, g in GAME_TYPES.items() if g.replayed))
def test_the_longest_honest_game_fits_the_move_log_limit(name):
    game = GAME_TYPES[name]
    moves = [WIDEST_MOVE[name]] * _max_moves(game)
    assert game.load_moves(moves)  # the game's own schema accepts it: it is honest
    body = json.dumps({"token": "t" * 512, "moves": moves, "client_score": -2**63})
    # the limit holds the longest honest log with room to spare, and not ten times more
    assert len(body.encode()) < MOVES_BODY_BYTES < 4 * len(body.encode())


def test_a_move_log_past_its_limit_is_413_without_cookie(client):
    body = json.dumps({"token": "x", "moves": [[0]] * (MOVES_BODY_BYTES // 4)})
    error_of(client.post(FINISH, data=body, content_type="application/json"), 413, "too_large")


def test_a_body_past_the_global_limit_is_413(app, client, auth):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    resp = client.post("/api/v1/admin/brands/alpha/campaigns", data=b" " * size,
                       content_type="application/json", headers=auth)
    error_of(resp, 413, "too_large")


def test_413_comes_before_the_body_is_sent(live_server):
    """A server that answers from Content-Length never waits for 100 MiB to arrive."""
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(b"POST " + FINISH.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: " + str(100 * 1024 * 1024).encode() + b"\r\n\r\n"
                     b'{"moves": [')
        answer = b""
        while b'"too_large"' not in answer:  # the socket timeout fails the test if none comes
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer
        # the server closes rather than drain 100 MiB (gunicorn.conf.py): the worker is free
        with pytest.raises(OSError):
            for _ in range(1440):  # 90 MiB: a draining server would take it all
                sock.sendall(b" " * 65536)


@pytest.mark.parametrize("depth", [50_000, MAX_JSON_DEPTH + 1])
def test_deep_nesting_is_400(client, depth):
    body = "[" * depth + "]" * depth
    resp = client.post(FINISH, data=body, content_type="application/json")
    error_of(resp, 400, "nesting_too_deep")
    resp = client.post(FINISH, data='{"token": "x", "moves": ' + body + "}",
                       content_type="application/json")
    error_of(resp, 400, "nesting_too_deep")


def test_nesting_within_the_limit_is_read(client):
    inner = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    resp = client.post(FINISH, data='{"token": "x", "moves": [' + inner + "]}",
                       content_type="application/json")
    assert resp.status_code != 400


def test_unparseable_json_is_400(client):
    error_of(client.post(FINISH, data="{not json", content_type="application/json"), 400,
             "malformed_json")
    error_of(client.post(FINISH, data=b"\xff\xfe", content_type="application/json"), 400,
             "malformed_json")


@pytest.mark.parametrize("path", [
    "/api/v1/campaigns/%00", "/api/v1/campaigns/a%01b/leaderboard",
    "/api/v1/campaigns/x?period=%00", "/c/%00", "/api/v1/sessions/%1b/finish",
])
def test_control_characters_in_the_address_are_400(client, path):
    method = client.post if path.endswith("finish") else client.get
    error_of(method(path, headers={"Accept": "application/json"}), 400, "control_characters")


@pytest.mark.parametrize("value", ["\u0000", "a\u0007b", "\u007f", "x\bz"])
def test_control_characters_in_json_are_400(client, value):
    resp = client.post(FINISH, json={"token": value, "moves": []})
    error_of(resp, 400, "control_characters")
    resp = client.post(FINISH, json={"token": "t", "moves": [{value: 1}]})
    error_of(resp, 400, "control_characters")


def test_tabs_and_newlines_are_text_not_control(client, auth):
    resp = client.post("/api/v1/admin/brands/alpha/campaigns", headers=auth, json={
        "slug": "tabs", "title": "春季\t合成", "game_type": "synthesis",
        "rules_text": "第一行\r\n第二行"})
    assert resp.status_code == 201, resp.get_json()


def test_a_form_with_a_nul_is_400(client):
    resp = client.post("/admin/login", data={"email": "a\x00@b.c", "password": "x"},
                       headers={"Accept": "application/json"})
    error_of(resp, 400, "control_characters")


@pytest.mark.parametrize("path", [
    "/api/v1/admin/campaigns/{id}", "/api/v1/admin/campaigns/{id}/prizes",
    "/api/v1/admin/coupon-batches/{id}", "/api/v1/admin/campaigns/{id}/standings",
])
@pytest.mark.parametrize("value", [INT_MAX + 1, 2**63, 10**30])
def test_path_ids_past_the_column_are_404(client, auth, path, value):
    error_of(client.get(path.format(id=value), headers=auth), 404, "not_found")


def test_the_widest_path_id_is_an_ordinary_404(client, auth):
    error_of(client.get(f"/api/v1/admin/campaigns/{INT_MAX}", headers=auth), 404, "not_found")


@pytest.mark.parametrize("field,value", [
    ("stock", INT_MAX + 1), ("daily_cap", 2**40), ("position", -(2**31) - 1),
    ("batch_id", 2**31), ("probability_ppm", 10**20),
])
def test_integers_past_their_column_are_422(client, brand, auth, field, value):
    campaign = make_campaign(brand, status="draft")
    resp = client.post(f"/api/v1/admin/campaigns/{campaign.id}/prizes", headers=auth,
                       json={"name": "一等奖", field: value})
    assert field in error_of(resp, 422, "validation_error")["fields"]


@pytest.mark.parametrize("body", [
    {"trigger": "rank", "period": "daily", "rank_from": 1, "rank_to": 2**31, "batch_id": 1},
    {"trigger": "score", "threshold": 2**31, "batch_id": 1},
    {"trigger": "score", "threshold": 1, "batch_id": 2**35},
])
def test_rule_integers_past_their_column_are_422(client, brand, auth, body):
    campaign = make_campaign(brand, status="draft")
    resp = client.post(f"/api/v1/admin/campaigns/{campaign.id}/reward-rules", headers=auth,
                       json=body)
    error_of(resp, 422, "validation_error")


def test_a_wrong_method_is_405_with_allow(client):
    resp = client.delete("/api/v1/campaigns/anything")
    error_of(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


def test_an_unknown_game_type_is_404_json_for_the_api_and_a_page_for_browsers(app, client):
    campaign = make_campaign()
    campaign.game_type = "no-such-game"
    db.session.commit()
    error_of(client.get(f"/api/v1/campaigns/{campaign.slug}"), 404, "unknown_game_type")
    page = client.get(f"/c/{campaign.slug}", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<html" in page.get_data(as_text=True)


def _domain_errors(cls=errors.DomainError):
    for sub in cls.__subclasses__():
        yield sub
        yield from _domain_errors(sub)


def test_statuses_live_in_the_api_layer_only():
    """Domain errors carry no status; each one has its own entry in the API's map."""
    for cls in _domain_errors():
        assert "status" not in vars(cls), f"{cls.__name__} carries an HTTP status"
        mapped = [k for k in cls.__mro__ if k in api_errors.STATUS]
        assert mapped[0] is not errors.DomainError, f"{cls.__name__} has no status in STATUS"


def test_every_api_blueprint_reads_bodies_through_the_guards(app):
    from engine.api.base import Blueprint
    found = [blp for blp in app.blueprints.values() if (blp.url_prefix or "").startswith("/api/")]
    assert found
    for blp in found:
        assert isinstance(blp, Blueprint), f"{blp.name}: use engine.api.base.Blueprint"


def _integers(node, where: str):
    """Yield (where, schema) for every integer schema under ``node``."""
    if isinstance(node, dict):
        if node.get("readOnly"):  # an answer's field, never read from a request
            return
        if node.get("type") == "integer":
            yield where, node
        for key, child in node.items():
            yield from _integers(child, f"{where}.{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _integers(child, f"{where}[{i}]")


def test_the_document_declares_our_error_shape_and_bounded_integers(client):
    doc = client.get("/api/openapi.json").get_json()
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = doc["components"]["schemas"]["ErrorDetail"]
    assert {"code", "message", "fields"} <= set(detail["required"])
    schemas = doc["components"]["schemas"]
    inputs = {name: s for name, s in schemas.items() if name.endswith(("In", "Patch", "Query",
                                                                       "Args"))}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                inputs[f"{path} params"] = op
                continue
            assert op["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}
            inputs[f"{method} {path} params"] = op.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            if ref:
                inputs[f"{method} {path} body"] = schemas[ref.rsplit("/", 1)[1]]
    found = [(where, s) for name, node in inputs.items() for where, s in _integers(node, name)]
    assert len(found) > 15  # path ids, prize and rule integers, limits...
    unbounded = [where for where, s in found if "minimum" not in s or "maximum" not in s]
    assert not unbounded, unbounded
