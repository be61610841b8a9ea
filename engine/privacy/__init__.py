"""Personal data under PIPL: the profile form (collection with consent) and phone numbers.

The brand is the personal-information handler (个人信息处理者); Hudong
processes on its behalf. Export and erasure, which also reach the CRM
endpoints through the tag outbox, live in ``tags.crm.personal_data``.
"""
