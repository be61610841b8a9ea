"""Fuzz every operation of /api/openapi.json with schemathesis: no 5xx, nothing off the document.

Public and player routes are called with a player's cookie, admin routes with
a marketer's token, CRM routes with an API key of every scope. Half the cases
get real path parameters (a live campaign's slug, its batch, prize and rule
ids) so the fuzzer reaches past "not found". The whole run has a time budget,
shared out over the operations: ``HUDONG_FUZZ_SECONDS`` (CI gives 240; a
short default keeps local whole-suite runs quick).
"""

from __future__ import annotations

import logging
import os
import random
import time

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.access.auth import SCOPES, create_access_token, create_api_key
from engine.extensions import db
from engine.rewards import coupons
from tests.factories import make_brand, make_campaign, make_marketer

log = logging.getLogger(__name__)
BUDGET_S = float(os.environ.get("HUDONG_FUZZ_SECONDS", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def _world(client) -> tuple[dict, dict[str, str]]:
    """Seed a brand with live campaigns of each type; return real path values and headers."""
    brand = make_brand("fuzz")
    marketer = make_marketer(brand)
    token, _ = create_access_token(marketer, "fuzz")
    key, _ = create_api_key(brand, sorted(SCOPES), "fuzz")
    games = [make_campaign(brand, game_type=t, slug=f"fuzz-{t}")
             for t in ("synthesis", "racing", "nurture")]
    batch = coupons.create_batch(brand.id, games[0].id, 5, title="券", valid_days=30,
                                 claimable=True)
    db.session.commit()
    for game in games:  # the player's cookie, as the play page would set it
        client.get(f"/c/{game.slug}")
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    values = {"slug": [g.slug for g in games], "brand_slug": ["fuzz"],
              "campaign_id": [g.id for g in games], "batch_id": [batch.id]}
    headers = {"admin": {"Authorization": f"Bearer {token}"},
               "crm": {"Authorization": f"Bearer {key}"},
               "player": {"Cookie": cookie} if cookie else {}}
    # Flask-Compress answers gzip/brotli when asked; schemathesis checks the bodies as JSON,
    # so every call asks for them uncompressed
    for role in headers.values():
        role["Accept-Encoding"] = "identity"
    return values, headers


def _role(path: str) -> str:
    if path.startswith("/api/v1/admin/") or path.startswith("/api/v1/reports/"):
        return "admin"
    return "crm" if path.startswith("/api/v1/crm/") else "player"


class _BudgetSpent(Exception):
    """Stop hypothesis for this operation: its share of the time is used up."""


def _fuzz(operation, budget_s: float, values: dict, headers: dict, failures: list) -> int:
    """Call ``operation`` with generated cases until its budget is spent; return how many."""
    deadline = time.monotonic() + budget_s
    chooser = random.Random(operation.label)
    calls = [0]

    @settings(max_examples=10_000, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        if calls[0] and time.monotonic() > deadline or len(failures) > 50:
            raise _BudgetSpent
        for name in case.path_parameters or {}:
            if name in values and chooser.random() < 0.5:
                case.path_parameters[name] = chooser.choice(values[name])
        calls[0] += 1
        try:
            case.call_and_validate(headers=headers[_role(operation.path)], checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 (every failure is reported below)
            failures.append(f"{operation.label}: {str(exc)[:1500]}\n  {case.as_curl_command()}")

    try:
        run()
    except _BudgetSpent:
        pass
    except Exception as exc:  # noqa: BLE001 (hypothesis gave up on this operation)
        failures.append(f"{operation.label}: could not generate cases: {exc}")
    return calls[0]


def test_no_server_error_and_nothing_off_the_document(app, client):
    values, headers = _world(client)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    share = BUDGET_S / len(operations)
    calls = {op.label: _fuzz(op, share, values, headers, failures) for op in operations}
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:15])
    quiet = [label for label, n in calls.items() if n == 0]
    assert not quiet, f"never called: {quiet}"
    log.info("fuzz: %s calls over %s operations", sum(calls.values()), len(calls))
