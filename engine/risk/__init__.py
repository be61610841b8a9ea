"""The one risk queue: flags with reasons, held rewards, a marketer's review.

``flags`` raises flags and reads a campaign's risk settings; ``scores``
judges a finished score against its campaign's distribution and holds it;
``claims`` holds a coupon claimed from a device that claimed for many
players; ``review`` approves, rejects and applies the campaign's default to
flags past their deadline, releasing what each flag held. May import:
models, extensions, events, clock, errors, keys; referral, boards and
rewards (to give what was held).
"""
