"""Tags: player metrics, tag rules, evaluation and CRM sync (built on ``engine``)."""
