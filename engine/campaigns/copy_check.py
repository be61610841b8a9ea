"""The copy check: player-facing campaign text must not induce sharing.

WeChat's external-link rules forbid inducing shares — any benefit for
bringing people in (分享得奖励, 助力, 砍价, 集赞) — and hiding a reward from
the copy only lowers the chance of being caught, so a sharer reward is
never advertised and campaign text with inducement wording is refused
(422 ``inducement_wording``, naming the field and the words). The word list
is documented in docs/referral.md; a phrase is refused when it contains one
of ``WORDS`` or matches ``PATTERN`` (a share verb followed closely by a
benefit).
"""

from __future__ import annotations

import re

from engine.errors import Unprocessable

WORDS = (
    "助力", "砍价", "砍一刀", "帮砍", "集赞", "集齐点赞", "点赞领", "拉新", "邀请有礼",
    "分享有礼", "转发有礼", "分享得", "转发得", "邀请得", "邀好友得", "分享领", "转发领",
    "分享送", "转发送", "分享抽奖", "转发抽奖", "分享后可领", "分享后即可", "分享即可",
    "分享即得", "好友帮忙", "帮我点",
)
# 分享 / 转发 / 邀请 (好友) within a few characters of a benefit
PATTERN = re.compile(r"(分享|转发|邀请|邀好友|拉好友|叫上好友)[^。！？!?\n]{0,10}"
                     r"(得|领|送|奖励|红包|抽奖|次数|额外|加成|成长值?|积分|免费|优惠券|券)")
CHECKED_FIELDS = ("title", "rules_text")


def inducements(text: str) -> list[str]:
    """Return the inducement words and phrases found in ``text``."""
    if not text:
        return []
    found = [w for w in WORDS if w in text]
    found += [m.group(0) for m in PATTERN.finditer(text) if not any(w in m.group(0)
                                                                     for w in found)]
    return found


def _texts(fields: dict) -> dict[str, str]:
    texts = {k: fields[k] for k in CHECKED_FIELDS if isinstance(fields.get(k), str)}
    for key, value in (fields.get("branding") or {}).items():
        if isinstance(value, str):
            texts[f"branding.{key}"] = value
    return texts


def check_copy(fields: dict) -> None:
    """Refuse campaign text with inducement wording (422, naming each field and its words)."""
    problems = {}
    for name, text in _texts(fields).items():
        words = inducements(text)
        if words:
            problems[name] = [f"诱导分享用语：{'、'.join(words)}"]
    if problems:
        raise Unprocessable("文案含诱导分享用语，微信会封禁此类链接，请修改",
                            code="inducement_wording", fields=problems)
