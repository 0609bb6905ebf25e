"""The words and weights the fleet generator (benchmarks/fleet_gen.py) draws from: teams and
their domains, service roles per trigger, schedules, and which alarms page."""

from __future__ import annotations

#: Team -> the nouns of its domain (service names are noun-role).
TEAMS: dict[str, tuple[str, ...]] = {
    "checkout": ("cart", "order", "coupon", "basket", "checkout-session", "receipt", "tax-quote"),
    "pricing": ("price", "discount", "promotion", "price-rule", "currency", "markdown"),
    "billing": ("invoice", "ledger", "dunning", "credit-note", "statement", "payout"),
    "catalog": ("product", "category", "variant", "brand", "assortment", "media-asset"),
    "search": ("search-index", "synonym", "suggestion", "ranking", "facet", "query-log"),
    "identity": ("account", "session", "consent", "profile", "password-reset", "mfa"),
    "payments": ("payment", "refund", "chargeback", "card-token", "wallet", "settlement"),
    "shipping": ("shipment", "parcel", "carrier", "label", "tracking", "pickup"),
    "inventory": ("stock", "reservation", "warehouse", "replenishment", "stock-count"),
    "notifications": ("email", "sms", "push", "template", "preference", "digest"),
    "analytics": ("clickstream", "funnel", "attribution", "cohort", "metric-rollup"),
    "support": ("ticket", "chat", "return", "feedback", "faq", "escalation"),
}
#: Teams without PagerDuty: no on-call rotation, so their services turn the default
#: paging (critical) alarms into warnings, which go to the team's email.
NO_PAGER = ("analytics", "support")
CRITICAL = {"lambda": ("error-rate",), "sqs": ("error-rate", "queue-oldest-message-age"),
            "web": ("http-5xx-rate", "running-tasks"),
            "worker": ("queue-oldest-message-age", "running-tasks")}

ROLES = {
    "sqs": ("consumer", "processor", "indexer", "projector", "sync", "handler"),
    "schedule": ("reconciler", "exporter", "cleanup", "snapshot", "report", "sweeper"),
    "http": ("api", "webhook", "lookup", "query", "validator"),
    "none": ("enricher", "resolver", "transformer", "notifier", "calculator"),
    "web": ("web", "portal", "console", "frontend", "admin"),
    "worker": ("worker", "batcher", "importer", "renderer", "replayer"),
}
TRIGGER_WEIGHTS = {"sqs": 35, "schedule": 20, "http": 30, "none": 15}
SCHEDULES = ("rate(5 minutes)", "rate(15 minutes)", "rate(1 hour)", "cron(0 3 * * ? *)",
             "cron(30 1 * * ? *)", "cron(0 6 ? * MON-FRI *)", "rate(1 day)")
HTTP_METHODS = {"api": "GET", "webhook": "POST", "lookup": "GET", "query": "POST",
                "validator": "POST"}
