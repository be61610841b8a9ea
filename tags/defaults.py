"""The rule set every brand starts with: groups and rules, editable like any other."""

from __future__ import annotations

from sqlalchemy import select

from engine.extensions import db
from engine.models import TagGroup, TagRule
from tags.language import load_rule

# (group, exclusive): [(tag, rule, priority)]
DEFAULT_RULES: dict[tuple[str, bool], list[tuple[str, dict, int]]] = {
    ("能力", False): [
        ("高手", {"metric": "best_score", "top_pct": 10, "campaign": "any"}, 0),
    ],
    ("传播", False): [
        ("KOC", {"metric": "referred_players", "op": ">=", "value": 3}, 0),
        ("深度传播", {"metric": "chain_depth", "op": ">=", "value": 3}, 0),
    ],
    # exclusive: 流失 also matches 沉睡, and its higher priority wins
    ("活跃度", True): [
        ("活跃", {"metric": "last_active_days_ago", "op": "<", "value": 7}, 0),
        ("沉睡", {"metric": "last_active_days_ago", "op": ">=", "value": 7}, 1),
        ("流失", {"metric": "last_active_days_ago", "op": ">=", "value": 30}, 2),
    ],
    ("优惠券", False): [
        ("领券未核销", {"metric": "coupons_unredeemed", "op": ">=", "value": 1}, 0),
        ("已核销", {"metric": "coupons_redeemed", "op": ">=", "value": 1}, 0),
    ],
    ("参与", False): [
        ("只看不玩", {"all": [{"metric": "visits", "op": ">=", "value": 1},
                          {"metric": "plays", "op": "==", "value": 0}]}, 0),
    ],
    ("游戏偏好", False): [
        ("合成玩家", {"metric": "plays_synthesis", "op": ">=", "value": 1}, 0),
        ("竞速玩家", {"metric": "plays_racing", "op": ">=", "value": 1}, 0),
        ("养成玩家", {"metric": "plays_nurture", "op": ">=", "value": 1}, 0),
    ],
    ("生命周期", False): [
        ("新客", {"metric": "first_seen_days_ago", "op": "<", "value": 7}, 0),
    ],
}


def install_defaults(brand_id: int) -> bool:
    """Give a brand that has no tag groups yet the default rule set; return whether it did.

    The caller commits. A brand that already has groups is left as it is
    (its marketers may have edited or deleted the defaults).
    """
    if db.session.scalar(select(TagGroup.id).where(TagGroup.brand_id == brand_id).limit(1)):
        return False
    for (group_name, exclusive), rules in DEFAULT_RULES.items():
        group = TagGroup(brand_id=brand_id, name=group_name, exclusive=exclusive)
        db.session.add(group)
        db.session.flush()
        for name, rule, priority in rules:
            db.session.add(TagRule(brand_id=brand_id, group_id=group.id, name=name,
                                   rule=load_rule(rule), priority=priority))
    db.session.flush()
    return True
