"""CRM sync: brands' endpoints, batching the tag outbox, webhook and WeCom delivery.

May import ``engine`` (models, config through ``current_app``, keys); the
engine reaches this package only where routes register its blueprint, CLI
and jobs.
"""
