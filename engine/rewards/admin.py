"""What the admin API asks of rewards: batches, code imports, prizes, reward rules.

Every function takes rows the caller already scoped to the marketer's brands
(``engine.access.auth.owned``); a batch named in a body is checked here against the
campaign's brand, and another brand's batch reads as "not found" so nothing
leaks across tenants.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from engine.clock import utcnow
from engine.errors import Conflict, ImportTooLarge, Unprocessable
from engine.extensions import db
from engine.models import Campaign, CouponBatch, Prize, RewardRule
from engine.rewards import awards, codes, coupons
from engine.rewards.draws import MILLION

# 100,000 rows of 40-character codes with a little slack per line
MAX_CSV_BYTES = 5 * 1024 * 1024
BATCH_FIELDS = ("title", "value_text", "description", "valid_from", "valid_until",
                "valid_days", "per_player_limit", "claimable")
PRIZE_FIELDS = ("name", "image", "batch_id", "probability_ppm", "stock", "daily_cap",
                "paced", "position")


# batches


@dataclass(frozen=True)
class BatchSummary:
    """A batch with its code counts: all of them, still available, issued, redeemed."""

    batch: CouponBatch
    inventory: int
    available: int
    issued: int
    redeemed: int

    @classmethod
    def of(cls, batch: CouponBatch, counts: dict[str, int], **more):
        """Return ``batch`` with its counts as ``coupons.batch_counts`` gives them."""
        return cls(batch, counts["inventory"], counts["available"], counts["issued"],
                   counts["redeemed"], **more)


@dataclass(frozen=True)
class NewBatch(BatchSummary):
    """A batch just created, with the report of the codes it imported (None: generated)."""

    import_report: codes.ImportReport | None = None


@dataclass(frozen=True)
class CodesImported:
    """What an import into an existing batch kept and refused, and the batch after it."""

    accepted: list[str]
    rejected: list[dict]
    batch: BatchSummary


def batches_of(campaign: Campaign) -> list[BatchSummary]:
    """Return the campaign's batches, oldest first, each with its counts."""
    batches = list(db.session.scalars(select(CouponBatch).where(
        CouponBatch.campaign_id == campaign.id).order_by(CouponBatch.id)))
    counts = coupons.batch_counts([b.id for b in batches])
    return [BatchSummary.of(b, counts[b.id]) for b in batches]


def show_batch(batch: CouponBatch) -> BatchSummary:
    """Return one batch with its counts."""
    return BatchSummary.of(batch, coupons.batch_counts([batch.id])[batch.id])


def _check_validity(fields: dict, now: datetime) -> None:
    start, end = fields.get("valid_from"), fields.get("valid_until")
    if end is None and not fields.get("valid_days"):
        raise Unprocessable("请设置有效期截止时间或领取后有效天数", code="invalid_validity",
                            fields={"valid_until": ["valid_until 与 valid_days 至少填一项"]})
    if end is not None and start is not None and end <= start:
        raise Unprocessable("有效期截止时间必须晚于开始时间", code="invalid_validity",
                            fields={"valid_until": ["必须晚于 valid_from"]})
    if end is not None and end <= now:
        raise Unprocessable("有效期截止时间已过", code="invalid_validity",
                            fields={"valid_until": ["必须是将来的时间"]})


def create_batch(campaign: Campaign, fields: dict) -> NewBatch:
    """Create a batch of generated (``inventory``) or imported (``codes_csv``) codes."""
    inventory, csv_text = fields.get("inventory"), fields.get("codes_csv")
    if (inventory is None) == (csv_text is None):
        raise Unprocessable("请在生成数量与导入券码之间二选一", code="invalid_codes_source",
                            fields={"inventory": ["inventory 与 codes_csv 必须且只能填一项"]})
    _check_validity(fields, utcnow())
    batch = coupons.create_batch(campaign.brand_id, campaign.id, inventory or 0,
                                 **{k: fields[k] for k in BATCH_FIELDS if k in fields})
    report = _import(batch, csv_text) if csv_text is not None else None
    db.session.commit()
    return NewBatch.of(batch, coupons.batch_counts([batch.id])[batch.id], import_report=report)


def decode_csv(data: bytes) -> str:
    """Return an uploaded CSV as text: UTF-8 (with or without BOM), else GB18030 (Excel)."""
    if len(data) > MAX_CSV_BYTES:
        raise ImportTooLarge(f"文件不能超过 {MAX_CSV_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise Unprocessable("文件为空", code="empty_file", fields={"file": ["没有内容"]})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unprocessable("无法识别文件编码，请另存为 UTF-8 CSV", code="invalid_encoding")


def _import(batch: CouponBatch, text: str) -> codes.ImportReport:
    text = text.removeprefix("\ufeff")
    if text.count("\n") > codes.MAX_IMPORT_ROWS + 1:  # one header row allowed
        raise ImportTooLarge(f"每次最多导入 {codes.MAX_IMPORT_ROWS} 行")
    try:
        return coupons.import_codes(batch, text)
    except csv.Error as exc:  # e.g. a field past the csv module's size limit
        raise Unprocessable("CSV 格式无法解析", code="invalid_csv",
                          fields={"file": [str(exc)]}) from None


def import_more(batch: CouponBatch, text: str) -> CodesImported:
    """Add a CSV's codes to ``batch``; return the report and the new counts."""
    source = batch.code_source
    report = _import(batch, text)  # marks the batch "imported"; keep what it really is
    batch.code_source = "mixed" if source == "generated" and report.accepted else source
    db.session.commit()
    return CodesImported(report.accepted, report.rejected, show_batch(batch))


# prizes


def prizes_of(campaign: Campaign) -> list[Prize]:
    """Return the campaign's prizes in drawing order."""
    return list(db.session.scalars(select(Prize).where(Prize.campaign_id == campaign.id)
                                   .order_by(Prize.position, Prize.id)))


def brand_batch(brand_id: int, batch_id: int) -> CouponBatch:
    """Return the brand's batch ``batch_id``; any other batch is refused as unknown."""
    batch = db.session.get(CouponBatch, batch_id)
    if batch is None or batch.brand_id != brand_id:
        raise Unprocessable("券批次不存在", code="unknown_batch",
                            fields={"batch_id": ["该品牌下没有这个券批次"]})
    return batch


def _check_odds(campaign_id: int, ppm: int, except_id: int | None = None) -> None:
    # lock the campaign row so concurrent odds edits see each other (PostgreSQL;
    # SQLite serializes writers anyway)
    db.session.get(Campaign, campaign_id, with_for_update=True, populate_existing=True)
    query = select(func.coalesce(func.sum(Prize.probability_ppm), 0)).where(
        Prize.campaign_id == campaign_id)
    if except_id is not None:
        query = query.where(Prize.id != except_id)
    others = db.session.scalar(query) or 0
    if others + ppm > MILLION:
        raise Unprocessable(f"所有奖品中奖概率之和不能超过 100%（剩余 {MILLION - others} ppm）",
                            code="odds_exceeded",
                            fields={"probability_ppm": [f"最多 {MILLION - others}"]})


def _check_pacing(campaign: Campaign, paced: bool) -> None:
    """Refuse pacing a prize over a campaign without both a start and an end."""
    if paced and not (campaign.starts_at and campaign.ends_at):
        raise Unprocessable("匀速发放需要活动设置开始和结束时间", code="pacing_needs_schedule",
                            fields={"paced": ["活动没有开始或结束时间"]})


def create_prize(campaign: Campaign, fields: dict) -> Prize:
    """Add a prize whose odds keep the campaign's total within a million ppm."""
    if fields.get("batch_id") is not None:
        brand_batch(campaign.brand_id, fields["batch_id"])
    _check_odds(campaign.id, fields.get("probability_ppm", 0))
    _check_pacing(campaign, fields.get("paced", False))
    prize = Prize(brand_id=campaign.brand_id, campaign_id=campaign.id,
                  **{k: fields[k] for k in PRIZE_FIELDS if k in fields})
    db.session.add(prize)
    db.session.commit()
    return prize


def update_prize(prize: Prize, changes: dict) -> Prize:
    """Change some of a prize's fields under the same rules as creating it."""
    if changes.get("batch_id") is not None:
        brand_batch(prize.brand_id, changes["batch_id"])
    if changes.get("stock") is not None and changes["stock"] < prize.awarded:
        raise Unprocessable("库存不能少于已发出的数量", code="stock_below_awarded",
                            fields={"stock": [f"至少 {prize.awarded}"]})
    if "probability_ppm" in changes:
        _check_odds(prize.campaign_id, changes["probability_ppm"], except_id=prize.id)
    if changes.get("paced"):
        _check_pacing(db.session.get(Campaign, prize.campaign_id), True)
    for key in PRIZE_FIELDS:
        if key in changes:
            setattr(prize, key, changes[key])
    db.session.commit()
    return prize


def delete_prize(prize: Prize) -> None:
    """Delete a prize nobody has won yet; once awarded it stays (409)."""
    done = db.session.execute(delete(Prize).where(Prize.id == prize.id, Prize.awarded == 0))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict("奖品已有人抽中，不能删除；可将中奖概率改为 0", code="prize_awarded")
    db.session.commit()


# reward rules


def rules_of(campaign: Campaign) -> list[RewardRule]:
    """Return the campaign's reward rules, oldest first."""
    return list(db.session.scalars(select(RewardRule).where(
        RewardRule.campaign_id == campaign.id).order_by(RewardRule.id)))


def _repeat(fields: dict) -> str:
    """Return the rule's repeat: given, else per period for rank prizes and once otherwise."""
    repeat = fields.get("repeat") or (
        awards.PER_PERIOD if fields["trigger"] == "rank" else awards.ONCE)
    if repeat == awards.PER_PERIOD and (fields["trigger"] == awards.GOAL_REACHED
                                        or not fields.get("period")):
        raise Unprocessable("每期发放需要设置榜单周期（daily 或 weekly）", code="invalid_rule",
                            fields={"repeat": ["per_period 需要 period"]})
    return repeat


def _trigger_fields(fields: dict) -> dict:
    if fields["trigger"] == awards.GOAL_REACHED:  # a game state completed: nothing to set
        return {"repeat": _repeat(fields)}
    if fields["trigger"] == "score":
        if fields.get("threshold") is None:
            raise Unprocessable("按分数发券需要设置分数线", code="invalid_rule",
                                fields={"threshold": ["trigger 为 score 时必填"]})
        return {"threshold": fields["threshold"], "period": fields.get("period"),
                "repeat": _repeat(fields)}
    missing = [k for k in ("period", "rank_from", "rank_to") if fields.get(k) is None]
    if missing:
        raise Unprocessable("按排名发券需要设置榜单周期和名次范围", code="invalid_rule",
                            fields={k: ["trigger 为 rank 时必填"] for k in missing})
    if fields["rank_from"] > fields["rank_to"]:
        raise Unprocessable("起始名次不能大于结束名次", code="invalid_rule",
                            fields={"rank_to": ["必须不小于 rank_from"]})
    return {**{k: fields[k] for k in ("period", "rank_from", "rank_to")},
            "repeat": _repeat(fields)}


def create_rule(campaign: Campaign, fields: dict) -> RewardRule:
    """Add a score-threshold, rank-range or goal-reached rule awarding a brand's batch."""
    fields = {**fields, "trigger": awards.canonical_trigger(fields["trigger"])}
    trigger = _trigger_fields(fields)
    batch = brand_batch(campaign.brand_id, fields["batch_id"])
    rule = RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                      trigger=fields["trigger"], batch_id=batch.id,
                      title=fields.get("title") or batch.title, **trigger)
    db.session.add(rule)
    db.session.commit()
    return rule


def delete_rule(rule: RewardRule) -> None:
    """Delete a reward rule; coupons it already gave stay with their holders."""
    db.session.delete(rule)
    db.session.commit()
