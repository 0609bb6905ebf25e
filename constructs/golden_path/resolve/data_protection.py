"""CloudWatch Logs data protection: masking where the collector cannot see. Pure Python.

A Lambda function's own logs go straight to CloudWatch, and so do the ECS sidecars' own
log groups (the FireLens router, the collector, its telemetry metrics): the collector's
masking (``telemetry/policy.py``) never sees them. Every log group golden_path creates
gets a log-group data protection policy instead (``aws_cloudwatch_log_data_protection_policy``,
made by ``l2/logs.py``), decided here from the resolved service:

- AWS's managed data identifiers for what the telemetry policy masks by pattern
  (``MANAGED``: e-mail addresses, card numbers, AWS secret keys);
- custom data identifiers (regexes) for what has no managed identifier: bearer tokens,
  credentials in URLs, and ``key: value`` / ``key=value`` for every masked key (the
  telemetry policy's ``SENSITIVE_KEYS``, the secret-assignment spellings and the team's
  ``telemetry.mask_keys``), packed into CloudWatch's limits (``CUSTOM_MAX`` identifiers
  of ``REGEX_MAX`` characters, ``REGEX_CHARACTERS`` only);
- an Audit statement whose findings go where platform.yaml says
  (``environments.<env>.telemetry.data_protection``), and a Deidentify statement that
  masks what matched.

The document's rules come from AWS's API reference (PutDataProtectionPolicy, also
botocore's model ``logs/2014-03-28``): two statements, Audit first with a
``FindingsDestination``, Deidentify second with an empty ``MaskConfig``, the same
``DataIdentifier`` list in both, at most ``DOCUMENT_MAX`` characters.
``validate_document`` checks every document golden_path writes against them.
See docs/data-protection.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Problem, SpecError
from ..telemetry.policy import SENSITIVE_KEYS

#: The policy language version AWS documents for data protection policies.
VERSION = "2021-06-01"
#: "The JSON specified in policyDocument can be up to 30,720 characters" (PutDataProtectionPolicy).
DOCUMENT_MAX = 30_720
#: Custom data identifier constraints, "Custom data identifier constraints" in
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL-custom-data-identifiers.html
CUSTOM_MAX = 10
NAME_MAX = 128
REGEX_MAX = 200
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
#: The only characters a custom identifier's regex may hold (same page): alphanumerics,
#: ``_ # = @ / ; , -`` and space, and the reserved ``^ $ ? [ ] { } | \\ * + .``. No
#: parentheses, quotes or colons: an alternation is a whole-regex ``|``.
REGEX_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "_#=@/;,- " "^$?[]{}|\\*+.")

MANAGED_ARN = "arn:aws:dataprotection::aws:data-identifier/{}"
#: The kinds of FindingsDestination AWS documents (the provider's policy document too).
DESTINATIONS = frozenset({"CloudWatchLogs", "Firehose", "S3"})


@dataclass(frozen=True)
class Managed:
    """One of AWS's managed data identifiers, and why golden_path uses it."""

    id: str
    mirrors: str  # what of the telemetry policy it stands for
    keywords: str  # what CloudWatch needs near the value to match (AWS's table)
    source: str


_TYPES = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/"
#: The managed identifiers every policy uses, checked against AWS's tables (the ARN is
#: ``MANAGED_ARN`` with the id; "Data identifier ARNs" on each page).
MANAGED: tuple[Managed, ...] = (
    Managed("EmailAddress", "MASK_RULES 'e-mail address', SENSITIVE_KEYS user.email",
            "none", _TYPES + "CWL-managed-data-identifiers.html (language and region "
                             "independent; Personal)"),
    Managed("CreditCardNumber", "MASK_RULES 'card number'",
            "card, credit, debit, visa, mastercard, amex, ccn, pan, ... within 30 characters",
            _TYPES + "protect-sensitive-log-data-types-financial.html"),
    Managed("AwsSecretKey", "MASK_RULES 'secret assignment' (an AWS secret access key)",
            "aws_secret_access_key, credentials, secret access key, secret key, "
            "set-awscredential",
            _TYPES + "protect-sensitive-log-data-types-credentials.html"),
)


@dataclass(frozen=True)
class Custom:
    """A custom data identifier: a name and one regex (CloudWatch's flavour)."""

    name: str
    regex: str


#: What follows a masked key, then its value: ``": "v"``, ``=v``, ``: v``, `` = v``. The
#: separator must hold one of ``= : " ' > ...`` (not a word, space, ``.``, ``,`` or ``;``),
#: so prose ("password reset", "token expired.") is left alone.
KEY_VALUE = r"\s?[^\w\s.,;]{1,3}\s?[^\s,;]+"
#: Identifiers for MASK_RULES without a managed identifier, before the keys.
FIXED: tuple[Custom, ...] = (
    # MASK_RULES 'bearer token', and HTTP Basic credentials (base64 user:password)
    Custom("AuthCredentials", r"[Bb]earer\s+[A-Za-z0-9._+/=-]+|[Bb]asic\s+[A-Za-z0-9+/=]{8,}"),
    Custom("UrlCredentials", r"//[^\s/@]+@"),  # MASK_RULES 'password in URL' (user and password)
)
#: Key patterns for the telemetry policy's SENSITIVE_KEYS and the spellings of its
#: 'secret assignment' rule (password, passwd, pwd, secret, token, api_key, api-key,
#: apiKey, authorization, cookie); a key ending in one of these (set-cookie,
#: http.request.header.authorization) is covered by it.
BUILTIN_KEYS: tuple[str, ...] = (
    r"[Pp]a?s?s?wo?r?d", r"[Ss]ecret", r"[Tt]oken", r"[Aa]pi[_-]?[Kk]ey", r"[Aa]uthorization",
    r"[Cc]ookie",
)
KEYS_NAME = "MaskedKeys{}"
#: Per-kind descriptions of golden_path's log groups (the policy's Description).
KINDS = {
    "function": "the function's own logs (Lambda writes them to CloudWatch directly)",
    "router": "the FireLens router's own logs",
    "collector": "the OpenTelemetry Collector's own logs",
    "telemetry-metrics": "the collector's telemetry metrics (EMF)",
    "log-group": "logs golden_path does not route through the collector",
}


@dataclass(frozen=True)
class AuditDestination:
    """Where the Audit statement sends findings (names in the environment's account)."""

    log_group: str | None = None
    bucket: str | None = None
    firehose: str | None = None

    def findings_destination(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.log_group:
            out["CloudWatchLogs"] = {"LogGroup": self.log_group}
        if self.firehose:
            out["Firehose"] = {"DeliveryStream": self.firehose}
        if self.bucket:
            out["S3"] = {"Bucket": self.bucket}
        return out


@dataclass(frozen=True)
class DataProtection:
    """The decided policy of one service: identifiers and where audit findings go."""

    managed: tuple[str, ...]
    custom: tuple[Custom, ...]
    audit: AuditDestination = AuditDestination()

    @property
    def identifiers(self) -> list[str]:
        """The ``DataIdentifier`` list both statements carry."""
        return [MANAGED_ARN.format(m) for m in self.managed] + [c.name for c in self.custom]


def key_pattern(key: str) -> str:
    """A masked key as CloudWatch matches it: as written, its first letter in either case
    (``customer.iban`` -> ``[Cc]ustomer\\.iban``)."""
    first, rest = key[0], key[1:]
    head = f"[{first.upper()}{first.lower()}]" if first.upper() != first.lower() else first
    return head.replace(".", r"\.") + rest.replace(".", r"\.")


def _covers(pattern: str, key: str) -> bool:
    """Does ``pattern`` match the end of ``key`` (so ``key: value`` is masked by it)?"""
    return re.search(f"(?:{pattern})$", key) is not None


def key_patterns(mask_keys: Sequence[str]) -> list[str]:
    """The key patterns a policy needs: the built-in ones, then each masked key (the
    telemetry policy's SENSITIVE_KEYS always) that no other pattern already covers (a key
    ending in another key is matched by it)."""
    mask_keys = list(dict.fromkeys([*SENSITIVE_KEYS, *mask_keys]))
    own = list(dict.fromkeys(key_pattern(k) for k in mask_keys))
    candidates = [*BUILTIN_KEYS, *(p for p in own if p not in BUILTIN_KEYS)]
    keys = {key_pattern(k): k for k in mask_keys}
    return [p for p in candidates
            if p in BUILTIN_KEYS or not any(q != p and _covers(q, keys[p]) for q in candidates)]


def custom_identifiers(mask_keys: Sequence[str]) -> tuple[Custom, ...]:
    """``FIXED`` plus the key patterns packed into as few identifiers as fit; SpecError
    (``telemetry.mask_keys``) when a key or all of them cannot fit CloudWatch's limits."""
    problems: list[Problem] = []
    alternatives = [p + KEY_VALUE for p in key_patterns(mask_keys)]
    for i, key in enumerate(mask_keys):
        need = len(key_pattern(key) + KEY_VALUE)
        if need > REGEX_MAX:
            problems.append(Problem(
                ("telemetry", "mask_keys", i), key,
                f"too long for CloudWatch Logs data protection: its pattern is {need} "
                f"characters, a custom data identifier's regex at most {REGEX_MAX}; use a key "
                f"of at most {REGEX_MAX - len(KEY_VALUE) - 3} characters (docs/data-protection.md)"))
    if problems:
        raise SpecError(problems)
    packed: list[str] = []
    for alt in alternatives:
        if packed and len(packed[-1]) + 1 + len(alt) <= REGEX_MAX:
            packed[-1] += "|" + alt
        else:
            packed.append(alt)
    room = CUSTOM_MAX - len(FIXED)
    if len(packed) > room:
        raise SpecError(Problem(
            ("telemetry", "mask_keys"), list(mask_keys),
            f"CloudWatch Logs data protection cannot match these {len(mask_keys)} keys: with "
            f"golden_path's own sensitive keys their 'key: value' patterns fill {len(packed)} "
            f"custom data identifiers of at most {REGEX_MAX} characters, and a policy has room "
            f"for {room} (it holds {CUSTOM_MAX}; {len(FIXED)} match authorization headers and "
            "URL credentials); remove keys, or add a shorter key that ends several of them "
            "(e.g. 'iban' covers 'customer.iban' and 'payee.iban') (docs/data-protection.md)"))
    named = tuple(Custom(KEYS_NAME.format(i), regex) for i, regex in enumerate(packed, 1))
    return FIXED + named


def decide(mask_keys: Sequence[str], audit: AuditDestination | None = None) -> DataProtection:
    """The policy for a service whose telemetry policy masks ``mask_keys``."""
    return DataProtection(tuple(m.id for m in MANAGED), custom_identifiers(mask_keys),
                          audit or AuditDestination())


def audit_destination(platform_context) -> AuditDestination:
    """platform.yaml's ``telemetry.data_protection`` for the environment (none: no destination)."""
    if platform_context is None or platform_context.environment.telemetry is None:
        return AuditDestination()
    settings = platform_context.environment.telemetry.data_protection
    if settings is None:
        return AuditDestination()
    return AuditDestination(settings.log_group_name, settings.bucket_name, settings.firehose_name)


def for_service(resolved) -> DataProtection:
    """The policy of a resolved service (ECS or Lambda), decided in resolve
    (``resolve.common.data_protection``): its telemetry policy's masked keys and
    platform.yaml's audit destination for its environment."""
    decided = resolved.data_protection
    assert decided is not None  # resolve refuses a service whose policy cannot be decided
    return decided


def log_groups(resolved) -> dict[str, str]:
    """golden_path's log groups of a resolved service: name -> kind (a ``KINDS`` key)."""
    names = resolved.names
    if getattr(resolved, "kind", None) == "lambda":
        return {names.log_group: "function"}
    return {names.router_log_group: "router", names.collector_log_group: "collector",
            names.telemetry_metrics_log_group: "telemetry-metrics"}


def document(dp: DataProtection, *, description: str) -> dict[str, Any]:
    """The policy document: an Audit and a Deidentify statement over the same identifiers."""
    doc: dict[str, Any] = {
        "Name": "golden-path-data-protection",
        "Description": description,
        "Version": VERSION,
        "Statement": [
            {"Sid": "audit", "DataIdentifier": dp.identifiers,
             "Operation": {"Audit": {"FindingsDestination": dp.audit.findings_destination()}}},
            {"Sid": "mask", "DataIdentifier": dp.identifiers,
             "Operation": {"Deidentify": {"MaskConfig": {}}}},
        ],
    }
    if dp.custom:
        doc["Configuration"] = {"CustomDataIdentifier": [
            {"Name": c.name, "Regex": c.regex} for c in dp.custom]}
    return doc


def document_json(dp: DataProtection, *, description: str) -> str:
    """``document`` as the JSON string the resource takes; ValueError if AWS would refuse it."""
    doc = document(dp, description=description)
    text = json.dumps(doc, separators=(",", ":"))
    errors = validate_document(text)
    if errors:
        raise ValueError("data protection policy: " + "; ".join(errors))
    return text


def log_group_policies(resolved) -> dict[str, str]:
    """Every golden_path log group of a resolved service -> its policy document (JSON)."""
    dp = for_service(resolved)
    service = resolved.stack_name
    return {name: document_json(dp, description=f"{service}: {KINDS[kind]}")
            for name, kind in log_groups(resolved).items()}


def default_policy(description: str = KINDS["log-group"]) -> str:
    """The policy of a log group made outside a service: golden_path's identifiers, no
    team keys, no audit destination."""
    return document_json(decide(()), description=description)


def validate_document(text: str) -> list[str]:
    """What AWS would refuse in a data protection policy document (empty: none found).

    Checks the documented rules: size, the two statements and their operations, the same
    identifiers in both, managed identifiers golden_path knows, custom identifiers within
    CloudWatch's limits, audit destinations of the documented kinds.
    """
    errors: list[str] = []
    if len(text) > DOCUMENT_MAX:
        errors.append(f"{len(text)} characters; the limit is {DOCUMENT_MAX}")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return [*errors, f"not JSON: {exc}"]
    statements = doc.get("Statement")
    if not isinstance(statements, list) or len(statements) != 2:
        return [*errors, "needs exactly two statements (Audit, then Deidentify)"]
    audit, mask = statements
    if set(audit.get("Operation") or {}) != {"Audit"}:
        errors.append("the first statement's Operation must be Audit only")
    if set(mask.get("Operation") or {}) != {"Deidentify"}:
        errors.append("the second statement's Operation must be Deidentify only")
    destination = ((audit.get("Operation") or {}).get("Audit") or {}).get("FindingsDestination")
    if not isinstance(destination, dict):
        errors.append("the Audit operation needs a FindingsDestination object")
    elif set(destination) - DESTINATIONS:
        errors.append(f"unknown findings destinations {sorted(set(destination) - DESTINATIONS)}")
    if ((mask.get("Operation") or {}).get("Deidentify") or {}).get("MaskConfig") != {}:
        errors.append("the Deidentify operation needs an empty MaskConfig")
    ids = audit.get("DataIdentifier")
    if not ids or ids != mask.get("DataIdentifier"):
        errors.append("both statements need the same, non-empty DataIdentifier list")
    custom = ((doc.get("Configuration") or {}).get("CustomDataIdentifier")) or []
    names = [c.get("Name", "") for c in custom]
    managed = {MANAGED_ARN.format(m.id) for m in MANAGED}
    for identifier in ids or []:
        if identifier not in managed and identifier not in names:
            errors.append(f"identifier {identifier!r} is neither a managed identifier golden_path "
                          "knows nor a custom identifier of this policy")
    if len(custom) > CUSTOM_MAX:
        errors.append(f"{len(custom)} custom identifiers; at most {CUSTOM_MAX}")
    if len(set(names)) != len(names):
        errors.append("custom identifier names repeat")
    for c in custom:
        name, regex = c.get("Name", ""), c.get("Regex", "")
        if not NAME_PATTERN.match(name) or name in {m.id for m in MANAGED}:
            errors.append(f"custom identifier name {name!r}: 1-{NAME_MAX} of [A-Za-z0-9_-], "
                          "not a managed identifier's name")
        if not 0 < len(regex) <= REGEX_MAX:
            errors.append(f"custom identifier {name}: regex of {len(regex)} characters; "
                          f"at most {REGEX_MAX}")
        bad = sorted(set(regex) - REGEX_CHARACTERS)
        if bad:
            errors.append(f"custom identifier {name}: characters CloudWatch does not accept "
                          f"in a regex: {''.join(bad)!r}")
        try:
            re.compile(regex)
        except re.error as exc:
            errors.append(f"custom identifier {name}: not a regex ({exc})")
    return errors
