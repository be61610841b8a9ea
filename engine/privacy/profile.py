"""The profile form: what a campaign asks players for, and their answers, only with consent.

A marketer sets the form per campaign (phone, name, custom text / choice /
date fields, asked before play or once the player has played, the purpose
and the version of the consent text). A player's answers are stored only
with explicit consent to that version, with the time, and a confirmation
of being 14 or older; every personal value is encrypted at rest. Completing
the form is recorded as a ``profile_completed`` event (no personal data in
it), which tag metrics can count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select

from engine.clock import utcnow
from engine.errors import NotFound, Unprocessable
from engine.events import record_event
from engine.extensions import db
from engine.models import Brand, Campaign, Event, Player
from engine.models.profile import PlayerProfile, ProfileForm
from engine.play.state import ACTION_EVENT
from engine.privacy.phone import normalize_mobile

FIELD_TYPES = ("phone", "name", "text", "choice", "date")
PLAYED_EVENTS = ("play_finished", ACTION_EVENT)


@dataclass(frozen=True)
class ShownForm:
    """A campaign's form with the brand that handles the answers (个人信息处理者)."""

    form: ProfileForm
    handler: Brand


@dataclass(frozen=True)
class FormState:
    """A campaign's form as one player sees it: whether it was answered, whether to ask now."""

    form: ShownForm | None
    submitted: bool
    due: bool


def _shown(campaign: Campaign, form: ProfileForm | None) -> ShownForm | None:
    return None if form is None else ShownForm(form, db.session.get(Brand, campaign.brand_id))


def form_state(campaign: Campaign) -> FormState:
    """Return the campaign's form as its marketer sees it (nobody's answer: nothing is due)."""
    return FormState(_shown(campaign, form_of(campaign)), False, False)


def form_of(campaign: Campaign) -> ProfileForm | None:
    """Return the campaign's profile form, if it asks for one."""
    return db.session.scalar(select(ProfileForm).where(ProfileForm.campaign_id == campaign.id))


def set_form(campaign: Campaign, data: dict) -> FormState:
    """Create or replace the campaign's form from validated ``data``; commit; return it as its
    marketer sees it."""
    form = form_of(campaign) or ProfileForm(campaign_id=campaign.id)
    form.when, form.fields = data["when"], data["specs"]
    form.purpose, form.consent_version = data["purpose"], data["consent_version"]
    db.session.add(form)
    db.session.commit()
    return FormState(_shown(campaign, form), False, False)


def _profile(campaign: Campaign, player: Player) -> PlayerProfile | None:
    return db.session.scalar(select(PlayerProfile).where(
        PlayerProfile.campaign_id == campaign.id, PlayerProfile.player_id == player.id))


def _has_played(campaign: Campaign, player: Player) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Event.campaign_id == campaign.id, Event.player_id == player.id,
        Event.kind.in_(PLAYED_EVENTS)))))


def state_for(campaign: Campaign, player: Player | None) -> FormState:
    """Return the form and whether this player should be asked now."""
    form = form_of(campaign)
    if form is None or player is None:
        return FormState(_shown(campaign, form), False, False)
    submitted = _profile(campaign, player) is not None
    due = not submitted and (form.when == "before" or _has_played(campaign, player))
    return FormState(_shown(campaign, form), submitted, due)


def _check_consent(form: ProfileForm, data: dict) -> None:
    if data.get("consent") is not True:
        raise Unprocessable("请阅读并同意个人信息处理规则后提交", code="consent_required",
                            fields={"consent": ["需要明确同意"]})
    if data.get("consent_version") != form.consent_version:
        raise Unprocessable("个人信息处理规则已更新，请重新阅读后提交", code="consent_outdated",
                            fields={"consent_version": [f"当前版本为 {form.consent_version}"]})
    if data.get("age_confirmed") is not True:
        raise Unprocessable("需确认已年满 14 周岁", code="age_not_confirmed",
                            fields={"age_confirmed": ["需确认已年满 14 周岁"]})


def _answer(spec: dict, raw) -> str | None:
    """Return the cleaned answer to one field; raise ``ValueError`` with the reason."""
    if raw in (None, ""):
        if spec.get("required"):
            raise ValueError("必填")
        return None
    if not isinstance(raw, str):
        raise ValueError("应为文字")
    value = raw.strip()
    kind = spec["type"]
    if kind == "phone":
        phone = normalize_mobile(value)
        if phone is None:
            raise ValueError("请输入 11 位中国大陆手机号")
        return phone
    if kind == "choice" and value not in spec.get("options", []):
        raise ValueError("不是可选项")
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD") from None
    if len(value) > spec.get("max_length", 100):
        raise ValueError(f"最长 {spec.get('max_length', 100)} 个字")
    return value


def _answers(form: ProfileForm, given: dict) -> dict[str, str | None]:
    specs = {spec["key"]: spec for spec in form.fields}
    errors = {f"fields.{key}": ["表单中没有这一项"] for key in given if key not in specs}
    answers = {}
    for key, spec in specs.items():
        try:
            answers[key] = _answer(spec, given.get(key))
        except ValueError as exc:
            errors[f"fields.{key}"] = [str(exc)]
    if errors:
        raise Unprocessable("表单填写有误", code="invalid_profile", fields=errors)
    return answers


def submit(campaign: Campaign, player: Player, data: dict) -> PlayerProfile:
    """Store the player's answers with their consent; raise ``Unprocessable`` and store nothing
    without explicit consent, the age confirmation, or with a malformed answer."""
    form = form_of(campaign)
    if form is None:
        raise NotFound("该活动没有信息收集表单", code="no_profile_form")
    _check_consent(form, data)
    answers = _answers(form, data.get("answers") or {})
    kinds = {spec["key"]: spec["type"] for spec in form.fields}
    profile = _profile(campaign, player) or PlayerProfile(
        brand_id=campaign.brand_id, campaign_id=campaign.id, player_id=player.id)
    profile.phone = next((v for k, v in answers.items() if kinds[k] == "phone" and v), None)
    profile.name = next((v for k, v in answers.items() if kinds[k] == "name" and v), None)
    custom = {k: v for k, v in answers.items() if kinds[k] not in ("phone", "name") and v}
    profile.answers = json.dumps(custom, ensure_ascii=False) if custom else None
    profile.consent_version, profile.consented_at = form.consent_version, utcnow()
    profile.age_confirmed = True
    db.session.add(profile)
    record_event("profile_completed", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, consent_version=form.consent_version,
                 fields=sorted(k for k, v in answers.items() if v))
    db.session.commit()
    return profile


def phones_of(brand_id: int, player_ids: list[int]) -> dict[int, str]:
    """Return the latest phone each player gave the brand (with consent), by player id."""
    if not player_ids:
        return {}
    rows = db.session.execute(select(PlayerProfile.player_id, PlayerProfile.phone).where(
        PlayerProfile.brand_id == brand_id, PlayerProfile.player_id.in_(player_ids),
        PlayerProfile.phone.is_not(None)).order_by(PlayerProfile.updated_at))
    return {player_id: phone for player_id, phone in rows if phone}


def profiles_of(campaign: Campaign, limit: int, before: int | None = None) -> list[PlayerProfile]:
    """Return the campaign's answered forms, newest first."""
    query = select(PlayerProfile).where(PlayerProfile.campaign_id == campaign.id)
    if before:
        query = query.where(PlayerProfile.id < before)
    return list(db.session.scalars(query.order_by(PlayerProfile.id.desc()).limit(limit)))
