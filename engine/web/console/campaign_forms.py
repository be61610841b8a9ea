"""The console's campaign forms: what each section posts, read into admin-service changes.

Dates are typed in the campaign's own time zone (``datetime-local``) and
stored in UTC. Colours are checked for contrast (WCAG 2: 4.5 : 1 for text)
so a marketer sees when a brand colour makes buttons hard to read.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from engine.boards.periods import PERIODS

COLOR_RE = r"^#[0-9a-fA-F]{6}$"
# an image chosen before: one of our content-hashed uploads, or none
MEDIA_RE = r"^(|/media/[0-9a-f]{64}\.\w+)$"
TIMEZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
             "Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles", "UTC")
DEFAULT_BRANDING = {"primary_color": "#e8474c", "background": "#fff7e6", "text_color": "#222222"}
# WCAG 2 AA: 4.5 : 1 for body text, 3 : 1 for large text (the play page's bold buttons)
MIN_CONTRAST, MIN_CONTRAST_LARGE = 4.5, 3.0


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class NewCampaignForm(_Form):
    """The first step: a game type, a title and the link name."""

    game_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    slug = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]{1,63}$", error="只能包含小写字母、数字和连字符，2-64 位"))


class BasicsForm(_Form):
    """Title, link name (drafts only) and the rules players read."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    slug = fields.String(validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]{1,63}$", error="只能包含小写字母、数字和连字符，2-64 位"))
    rules_text = fields.String(load_default="", validate=validate.Length(max=10_000))
    require_userinfo = fields.Boolean(load_default=False)

    @pre_load
    def checkbox(self, data, **kwargs):
        """Read a ticked box as true and a missing one as false."""
        data = dict(data)
        data["require_userinfo"] = bool(data.get("require_userinfo"))
        return data


class BrandingForm(_Form):
    """Colours, share copy, and the images already chosen (uploads replace them)."""

    primary_color = fields.String(load_default=DEFAULT_BRANDING["primary_color"],
                                  validate=validate.Regexp(COLOR_RE))
    background = fields.String(load_default=DEFAULT_BRANDING["background"],
                               validate=validate.Regexp(COLOR_RE))
    text_color = fields.String(load_default=DEFAULT_BRANDING["text_color"],
                               validate=validate.Regexp(COLOR_RE))
    share_title = fields.String(load_default="", validate=validate.Length(max=60))
    share_desc = fields.String(load_default="", validate=validate.Length(max=120))
    logo = fields.String(load_default="", validate=validate.Regexp(MEDIA_RE))
    share_image = fields.String(load_default="", validate=validate.Regexp(MEDIA_RE))


class ScheduleForm(_Form):
    """When the campaign runs (in its zone), how often one may play, which boards show."""

    timezone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    starts_at = fields.String(load_default="")
    ends_at = fields.String(load_default="")
    plays_per_day = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    boards = fields.List(fields.String(validate=validate.OneOf(PERIODS)),
                         validate=validate.Length(min=1, max=3))


def _local(text: str, tz: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        raise ValidationError({"_": ["日期时间格式不正确"]}) from None


def load_schedule(form) -> dict:
    """Return the admin changes of the schedule form (raises ``ValidationError``)."""
    data = ScheduleForm().load({**form.to_dict(), "boards": form.getlist("boards")})
    try:
        ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": ["未知的时区"]}) from None
    changes = {"timezone": data["timezone"], "plays_per_day": data["plays_per_day"],
               "boards": [p for p in PERIODS if p in data["boards"]]}
    for key in ("starts_at", "ends_at"):
        try:
            changes[key] = _local(data[key], data["timezone"])
        except ValidationError:
            raise ValidationError({key: ["日期时间格式不正确"]}) from None
    return changes


def local_input(moment: datetime | None, tz: str) -> str:
    """Return ``moment`` as a ``datetime-local`` value in zone ``tz``."""
    return "" if moment is None else moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def contrast_warnings(branding: dict) -> list[str]:
    """Return a warning for each colour pair players would find hard to read."""
    b = {**DEFAULT_BRANDING, **(branding or {})}
    found = []
    pairs = ((b["text_color"], b["background"], _("Text on the background"), MIN_CONTRAST),
             ("#ffffff", b["primary_color"], _("White button text on the brand colour"),
              MIN_CONTRAST_LARGE))
    for fg, bg, what, least in pairs:
        ratio = contrast(fg, bg)
        if ratio < least:
            found.append(_("%(what)s is hard to read (contrast %(ratio).1f : 1; "
                           "at least %(least).1f : 1 is recommended).", what=what, ratio=ratio,
                           least=least))
    return found
