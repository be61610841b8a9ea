"""The one risk queue: flags with reasons, held rewards, a marketer's review.

``flags`` raises flags and reads a campaign's risk settings; ``review``
approves, rejects and applies the campaign's default to flags past their
deadline, releasing what each flag held. May import: models, extensions,
events, clock, errors, referral (review only).
"""
