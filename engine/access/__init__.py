"""Who is asking: player identity, WeChat login, marketer and API-key credentials.

May import: models, config, extensions, errors.
"""
