"""Deliver a batch of tag changes to WeCom as corp tags on the players' external contacts.

A batch is reduced to the tags each contact should gain and lose (the last
change of a tag wins), so sending the same batch again sets the same state:
a retry after a crash changes nothing twice. Tags are created when missing
(``add_corp_tag``) and remembered in the ledger (``wecom_tags``); a tag id
WeCom no longer knows is reconciled against ``get_corp_tag_list`` and the
call retried. Players without a known contact are looked up by unionid; the
ones WeCom does not know are skipped (and counted in the outcome).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from engine.extensions import db, redis_store
from engine.models import CrmEndpoint, Player, PlayerWeCom, WeComTag
from engine.privacy.erasure import erased_identifiers
from tags.crm.webhook import Outcome
from tags.crm.wecom import TAG_ID_INVALID, WeComClient, WeComError

log = logging.getLogger(__name__)


@dataclass
class Target:
    """What one contact should gain and lose: ``(group, tag)`` names."""

    add: set = field(default_factory=set)
    remove: set = field(default_factory=set)
    erase: bool = False


def client_for(endpoint: CrmEndpoint) -> WeComClient:
    """Return a WeCom client for the endpoint's corp, configured from the app."""
    cfg = current_app.config
    return WeComClient(endpoint.corp_id, endpoint.secret, api_base=cfg["WECOM_API_BASE"],
                       store=redis_store.r, timeout=cfg["CRM_HTTP_TIMEOUT_S"],
                       mark_concurrency=cfg["WECOM_MARK_CONCURRENCY"])


def targets_of(changes: list[dict]) -> OrderedDict[int, Target]:
    """Reduce changes (in order) to each player's net target."""
    targets: OrderedDict[int, Target] = OrderedDict()
    for change in changes:
        target = targets.setdefault(change["player"]["id"], Target())
        key = (change["group"], change["tag"])
        if change["op"] == "delete":
            targets[change["player"]["id"]] = Target(erase=True)
        elif change["op"] == "add":
            target.add.add(key)
            target.remove.discard(key)
        elif change["op"] == "remove":
            target.remove.add(key)
            target.add.discard(key)
    return targets


def _ledger(endpoint: CrmEndpoint) -> dict[tuple[str, str], WeComTag]:
    rows = db.session.scalars(select(WeComTag).where(WeComTag.endpoint_id == endpoint.id))
    return {(row.group_name, row.tag_name): row for row in rows}


def _short(name: str) -> str:
    return name[:current_app.config["WECOM_TAG_NAME_MAX"]]


def _record_group(endpoint: CrmEndpoint, group: dict, group_name: str,
                  ledger: dict, wanted: set) -> None:
    by_name = {t["name"]: t["id"] for t in group.get("tag", [])}
    for grp, tag in wanted:
        if grp == group_name and _short(tag) in by_name and (grp, tag) not in ledger:
            row = WeComTag(endpoint_id=endpoint.id, group_name=grp, tag_name=tag,
                           group_id=group["group_id"], tag_id=by_name[_short(tag)])
            db.session.add(row)
            ledger[(grp, tag)] = row


def ensure_tags(client: WeComClient, endpoint: CrmEndpoint, wanted: set) -> dict:
    """Return the ledger with a WeCom tag for every ``(group, tag)`` in ``wanted``; commit.

    Creates what is missing (one ``add_corp_tag`` per group) within the
    configured corp-tag cap; raises ``WeComError`` when the cap is reached.
    """
    ledger = _ledger(endpoint)
    missing = sorted(key for key in wanted if key not in ledger)
    cap = current_app.config["WECOM_TAG_CAP"]
    owned = db.session.scalar(select(func.count()).select_from(WeComTag)
                              .where(WeComTag.endpoint_id == endpoint.id)) or 0
    if owned + len(missing) > cap:
        raise WeComError(-3, f"corp tag cap {cap} reached ({owned} created, "
                             f"{len(missing)} more needed)")
    for group_name in sorted({g for g, _ in missing}):
        known = next((row.group_id for (g, _), row in ledger.items() if g == group_name), None)
        group = _add_to_group(client, known, _short(group_name),
                              [_short(t) for g, t in missing if g == group_name])
        _record_group(endpoint, group, group_name, ledger, set(missing))
    db.session.commit()
    return ledger


def _add_to_group(client: WeComClient, group_id: str | None, group_name: str,
                  names: list[str]) -> dict:
    """Make sure the group holds ``names``; return the group as WeCom lists it."""
    if group_id is None:
        group_id = next((g["group_id"] for g in client.corp_tags()
                         if g.get("group_name") == group_name and not g.get("deleted")), None)
    if group_id is not None:
        listed = client.corp_tags([group_id])
        if listed:  # the group is there: add only the names it lacks
            have = {t["name"] for t in listed[0].get("tag", []) if not t.get("deleted")}
            lacking = [n for n in names if n not in have]
            return client.add_corp_tags(lacking, group_id=group_id) if lacking else listed[0]
    return client.add_corp_tags(names, group_name=group_name)


def reconcile(client: WeComClient, endpoint: CrmEndpoint) -> int:
    """Drop ledger rows whose tag WeCom no longer has; return how many; commit."""
    alive = {t["id"] for g in client.corp_tags() for t in g.get("tag", [])
             if not t.get("deleted")}
    stale = [row for row in _ledger(endpoint).values() if row.tag_id not in alive]
    for row in stale:
        db.session.delete(row)
    db.session.commit()
    log.warning("wecom %s: %s stale tag ids reconciled", endpoint.corp_id, len(stale))
    return len(stale)


def contacts_for(client: WeComClient, endpoint: CrmEndpoint,
                 player_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Return ``(userid, external_userid)`` pairs per player; look up unknown ones by unionid."""
    found: dict[int, list[tuple[str, str]]] = {}
    for row in db.session.scalars(select(PlayerWeCom).where(
            PlayerWeCom.player_id.in_(player_ids), PlayerWeCom.corp_id == endpoint.corp_id)):
        found.setdefault(row.player_id, []).append((row.userid, row.external_userid))
    erased = erased_identifiers(player_ids)
    for player_id, ids in erased.items():
        found[player_id] = [(w["userid"], w["external_userid"]) for w in ids.get("wecom", [])
                            if w.get("corp_id") == endpoint.corp_id]
    for player in db.session.scalars(select(Player).where(
            Player.id.in_([p for p in player_ids if p not in found]),
            Player.unionid.is_not(None))):
        external = client.external_userid_for(player.unionid, player.openid or "")
        userids = client.follow_userids(external) if external else []
        if external and userids:
            db.session.add(PlayerWeCom(player_id=player.id, corp_id=endpoint.corp_id,
                                       external_userid=external, userid=userids[0],
                                       source="unionid"))
            found[player.id] = [(userids[0], external)]
    db.session.commit()
    return found


def _calls(targets, contacts, ledger) -> list[tuple[str, str, list[str], list[str]]]:
    calls = []
    for player_id, target in targets.items():
        if target.erase:
            add, remove = [], sorted(row.tag_id for row in ledger.values())
        else:
            add = sorted(ledger[key].tag_id for key in target.add if key in ledger)
            remove = sorted(ledger[key].tag_id for key in target.remove if key in ledger)
        if add or remove:
            calls.extend((userid, external, add, remove)
                         for userid, external in contacts.get(player_id, []))
    return calls


def _run(client: WeComClient, calls: list) -> list[tuple[tuple, WeComError]]:
    """Make the mark_tag calls, a few at once; return the ones that failed."""
    def one(call):
        try:
            client.mark_tag(*call)
            return None
        except WeComError as exc:
            return call, exc
    with ThreadPoolExecutor(max(1, client.mark_concurrency)) as pool:
        return [failure for failure in pool.map(one, calls) if failure]


def deliver_to_wecom(endpoint: CrmEndpoint, changes: list[dict]) -> Outcome:
    """Apply a batch to WeCom; return the outcome (failures make the whole batch retry)."""
    began = time.monotonic()
    client = client_for(endpoint)
    try:
        targets = targets_of(changes)
        wanted = {key for t in targets.values() for key in t.add}
        ledger = ensure_tags(client, endpoint, wanted)
        contacts = contacts_for(client, endpoint, list(targets))
        failures = _run(client, _calls(targets, contacts, ledger))
        if any(exc.errcode == TAG_ID_INVALID for _, exc in failures):
            reconcile(client, endpoint)
            ledger = ensure_tags(client, endpoint, wanted)
            failures = _run(client, _calls(targets, contacts, ledger))
        skipped = sum(1 for p in targets if not contacts.get(p))
    except WeComError as exc:
        return Outcome(False, error=str(exc), latency_ms=_ms(began))
    finally:
        client.close()
    if failures:
        return Outcome(False, error=f"{len(failures)} mark_tag calls failed: {failures[0][1]}",
                       latency_ms=_ms(began))
    note = f"{skipped} players without a WeCom contact skipped" if skipped else ""
    return Outcome(True, 200, note, _ms(began))


def _ms(began: float) -> int:
    return int((time.monotonic() - began) * 1000)
