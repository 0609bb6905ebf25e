"""CloudWatch Logs data protection (resolve/data_protection.py): the policy every golden_path
log group gets, its limits, the platform's audit destination, and the review rule. No cdktf."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from golden_path import SpecError
from golden_path.alerts.registry import TeamRegistry
from golden_path.fleet import load_all
from golden_path.load.platform import load_platform
from golden_path.resolve import data_protection as dp
from golden_path.review.findings import findings
from golden_path.review.synth_diff import diff_synth
from golden_path.telemetry.policy import MASK_RULES, SENSITIVE_KEYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def services():
    return load_all([EXAMPLES / "services"], TeamRegistry.load(EXAMPLES / "teams.yaml"))


def masks(dpol: dp.DataProtection, text: str) -> str:
    """``text`` as CloudWatch shows it (custom identifiers only, run with Python's re)."""
    for c in dpol.custom:
        text = re.sub(c.regex, lambda m: "*" * len(m[0]), text)
    return text


def test_every_log_group_of_the_examples_has_a_valid_policy(services):
    kinds: dict[str, int] = {}
    for svc in services:
        policies = dp.log_group_policies(svc)
        assert set(policies) == set(dp.log_groups(svc))
        for name, text in policies.items():
            kinds[dp.log_groups(svc)[name]] = kinds.get(dp.log_groups(svc)[name], 0) + 1
            assert dp.validate_document(text) == [], name
            doc = json.loads(text)
            audit, mask = doc["Statement"]
            assert list(audit["Operation"]) == ["Audit"] and list(mask["Operation"]) == [
                "Deidentify"]
            assert mask["Operation"]["Deidentify"] == {"MaskConfig": {}}
            assert audit["DataIdentifier"] == mask["DataIdentifier"]
            assert audit["DataIdentifier"][:3] == [
                "arn:aws:dataprotection::aws:data-identifier/EmailAddress",
                "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber",
                "arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"]
            assert len(text) < dp.DOCUMENT_MAX // 10
    # 6 Fargate services (3 groups each: router, collector, telemetry metrics), 6 functions.
    assert kinds == {"router": 6, "collector": 6, "telemetry-metrics": 6, "function": 6}


def test_the_platform_audit_destination_is_per_environment(services):
    destinations = {svc.spec.environment: json.loads(next(iter(
        dp.log_group_policies(svc).values())))["Statement"][0]["Operation"]["Audit"][
        "FindingsDestination"] for svc in services}
    assert destinations == {
        "production": {"CloudWatchLogs": {"LogGroup": "/platform/data-protection-findings"}},
        "staging": {}, "sandbox": {}}


def test_managed_identifiers_are_the_documented_arns():
    for m in dp.MANAGED:
        assert re.fullmatch(r"arn:aws:dataprotection::aws:data-identifier/[A-Za-z]+",
                            dp.MANAGED_ARN.format(m.id))
        assert m.source.startswith("https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/")
    # What the telemetry policy masks by pattern: one managed or custom identifier each.
    covered = {"e-mail address": "EmailAddress", "card number": "CreditCardNumber",
               "bearer token": "AuthCredentials", "password in URL": "UrlCredentials",
               "secret assignment": "MaskedKeys1"}
    assert {r.name for r in MASK_RULES} == set(covered)
    ids = dp.decide(()).identifiers
    assert all(any(i.endswith(v) for i in ids) for v in covered.values())


def test_custom_identifiers_keep_cloudwatchs_limits():
    keys = [f"team.key{i}" for i in range(20)]
    custom = dp.custom_identifiers(keys)
    assert len(custom) <= dp.CUSTOM_MAX
    for c in custom:
        assert dp.NAME_PATTERN.match(c.name) and c.name not in {m.id for m in dp.MANAGED}
        assert 0 < len(c.regex) <= dp.REGEX_MAX
        assert set(c.regex) <= dp.REGEX_CHARACTERS, c.regex
        re.compile(c.regex)


@pytest.mark.parametrize("line, masked", [
    ('{"level":"info","password":"hunter2","user":"bob"}', "hunter2"),
    ("login ok passwd=s3cr3t&next=/", "s3cr3t"),
    ("pwd: abc123", "abc123"),
    ('"api_key": "k-123"', "k-123"),
    ("apiKey=k-456", "k-456"),
    ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig", "eyJhbGciOi.eyJzdWIi.sig"),
    ("fetch https://admin:pa55@db.internal/x", "pa55"),
    ("set-cookie: session=abc; Path=/", "session=abc"),
    ('"http.request.header.authorization": "xyz"', "xyz"),
    ("refresh_token = r-789", "r-789"),
])
def test_sensitive_values_are_masked(line, masked):
    shown = masks(dp.decide(()), line)
    assert masked not in shown, shown


@pytest.mark.parametrize("line", [
    "password reset requested for user 42",
    "token expired.",
    "secrets rotated, nothing to do",
    "tokens_used=12",
])
def test_prose_is_left_alone(line):
    assert masks(dp.decide(()), line) == line


def test_every_sensitive_key_and_team_key_is_masked_as_json_and_assignment():
    team = ["customer.iban", "payee.iban", "Customer.Phone", "x-api-secret"]
    policy = dp.decide(team)
    for key in [*SENSITIVE_KEYS, *team]:
        for line in (f'{{"{key}": "VALUE1"}}', f"{key}=VALUE1", f"{key}: VALUE1"):
            assert "VALUE1" not in masks(policy, line), (key, line)


def test_a_key_ending_in_another_is_covered_by_it():
    always = dp.key_patterns(())  # the built-in patterns and user.email (SENSITIVE_KEYS)
    assert always == [*dp.BUILTIN_KEYS, r"[Uu]ser\.email"]
    assert dp.key_patterns(["customer.iban", "iban", "payee.iban"]) == [*always, "[Ii]ban"]
    assert dp.key_patterns(["set-cookie", "session.token"]) == always
    assert dp.key_pattern(".hidden") == r"\.hidden"


def test_too_many_keys_is_a_spec_error_naming_the_field_and_the_fix():
    keys = [f"customer.field{i:02d}" for i in range(50)]
    with pytest.raises(SpecError) as exc:
        dp.decide(keys)
    (problem,) = exc.value.problems
    assert problem.path == ("telemetry", "mask_keys") and problem.value == keys
    assert "room for 8 (it holds 10;" in problem.hint and "add a shorter key" in problem.hint
    # 50 keys that end in one shared key fit: that key covers them all.
    shared = [f"party{i:02d}.iban" for i in range(50)]
    with pytest.raises(SpecError):
        dp.decide(shared)
    assert dp.key_patterns([*shared, "iban"]) == [*dp.key_patterns(()), "[Ii]ban"]


def test_a_key_too_long_for_one_regex_is_a_spec_error_at_its_index():
    long_key = "a" * 180
    with pytest.raises(SpecError) as exc:
        dp.decide(["iban", long_key])
    (problem,) = exc.value.problems
    assert problem.path == ("telemetry", "mask_keys", 1) and problem.value == long_key
    assert f"at most {dp.REGEX_MAX}" in problem.hint


def test_validate_document_finds_what_aws_refuses():
    good = json.loads(dp.default_policy())
    assert dp.validate_document(json.dumps(good)) == []
    swapped = {**good, "Statement": good["Statement"][::-1]}
    assert "the first statement's Operation must be Audit only" in dp.validate_document(
        json.dumps(swapped))
    mismatch = json.loads(json.dumps(good))
    mismatch["Statement"][1]["DataIdentifier"] = mismatch["Statement"][1]["DataIdentifier"][:1]
    assert "both statements need the same, non-empty DataIdentifier list" in \
        dp.validate_document(json.dumps(mismatch))
    quoted = json.loads(json.dumps(good))
    quoted["Configuration"]["CustomDataIdentifier"][0]["Regex"] = '"password":(.*)'
    assert any("characters CloudWatch does not accept" in e
               for e in dp.validate_document(json.dumps(quoted)))
    unknown = json.loads(json.dumps(good))
    for st in unknown["Statement"]:
        st["DataIdentifier"].append("arn:aws:dataprotection::aws:data-identifier/Nope")
    assert any("'arn:aws:dataprotection::aws:data-identifier/Nope'" in e
               for e in dp.validate_document(json.dumps(unknown)))
    assert any("the limit is 30720" in e for e in dp.validate_document(
        json.dumps({**good, "Description": "x" * dp.DOCUMENT_MAX})))


def _platform(tmp_path: Path, data_protection: dict) -> Path:
    doc = yaml.safe_load((EXAMPLES / "platform.yaml").read_text())
    doc["environments"]["production"]["telemetry"]["data_protection"] = data_protection
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_platform_audit_destinations_as_names_or_arns(tmp_path):
    loaded = load_platform(_platform(tmp_path, {
        "audit_log_group": "arn:aws:logs:eu-west-1:444455556666:log-group:/platform/findings:*",
        "audit_bucket": "arn:aws:s3:::findings-444455556666",
        "audit_firehose": "findings-stream"}))
    audit = dp.audit_destination(loaded.context("production"))
    assert audit == dp.AuditDestination("/platform/findings", "findings-444455556666",
                                        "findings-stream")
    assert audit.findings_destination() == {
        "CloudWatchLogs": {"LogGroup": "/platform/findings"},
        "Firehose": {"DeliveryStream": "findings-stream"},
        "S3": {"Bucket": "findings-444455556666"}}
    assert dp.audit_destination(loaded.context("staging")) == dp.AuditDestination()


def test_platform_audit_destination_in_another_account_is_refused(tmp_path):
    with pytest.raises(SpecError) as exc:
        load_platform(_platform(tmp_path, {
            "audit_firehose": "arn:aws:firehose:eu-west-1:999999999999:deliverystream/x"}))
    assert ("environments.production.telemetry.data_protection.audit_firehose = "
            "'arn:aws:firehose:eu-west-1:999999999999:deliverystream/x': the audit delivery "
            "stream must be in this environment's account 444455556666 in eu-west-1") in str(
        exc.value)
    with pytest.raises(SpecError) as exc:
        load_platform(_platform(tmp_path, {"audit_log_group": "not a name!"}))
    assert "environments.production.telemetry.data_protection.audit_log_group = 'not a name!'" \
        in str(exc.value)


GROUP = {"name": "/ecs/checkout/storefront-production/router"}
REF = "${aws_cloudwatch_log_group.service_router_logs_log_group_1A2B.name}"


def _policy(mask_keys=(), audit=None) -> dict:
    text = dp.document_json(dp.decide(mask_keys, audit), description="x")
    return {"log_group_name": REF, "policy_document": text}


def _stack(**resources) -> dict:
    return {"svc": {k.replace("__", "."): v for k, v in resources.items()}}


def test_review_flags_a_removed_policy_on_a_kept_group():
    base = _stack(aws_cloudwatch_log_group__service_router_logs_log_group_1A2B=GROUP,
                  aws_cloudwatch_log_data_protection_policy__p=_policy())
    kept = _stack(aws_cloudwatch_log_group__service_router_logs_log_group_1A2B=GROUP)
    found = [(f.rule, f.detail) for f in findings(diff_synth(base, kept))]
    assert ("data-protection-removed", "log group /ecs/checkout/storefront-production/router "
            "keeps its logs unmasked: its policy (7 identifiers) is removed") in found
    # A group destroyed with its policy: a stateful-destroy, not a data-protection finding.
    gone = {f.rule for f in findings(diff_synth(base, _stack()))}
    assert "data-protection-removed" not in gone and "stateful-destroy" in gone


def test_review_flags_a_policy_that_masks_less():
    audit = dp.AuditDestination(log_group="/platform/findings")
    base = _stack(aws_cloudwatch_log_group__service_router_logs_log_group_1A2B=GROUP,
                  aws_cloudwatch_log_data_protection_policy__p=_policy(["customer.iban"], audit))
    head = _stack(aws_cloudwatch_log_group__service_router_logs_log_group_1A2B=GROUP,
                  aws_cloudwatch_log_data_protection_policy__p=_policy())
    found = [(f.rule, f.detail) for f in findings(diff_synth(base, head))]
    assert found == [("data-protection-removed",
                      "log group /ecs/checkout/storefront-production/router: patterns removed: "
                      "customer.iban; audit destinations removed: "
                      'CloudWatchLogs {"LogGroup": "/platform/findings"}')]
    # More masking is not a finding.
    assert not findings(diff_synth(head, base))


def test_validate_reports_mask_keys_that_do_not_fit_with_the_file_and_line(tmp_path, capsys):
    """Decided in resolve, so `golden-path validate` (no synth) names the field and line."""
    import shutil

    from golden_path.cli import main

    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root)
    path = root / "services" / "storefront.yaml"
    spec = yaml.safe_load(path.read_text())
    spec.setdefault("telemetry", {})["mask_keys"] = [f"customer.field{i:02d}" for i in range(50)]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["validate", str(root)]) == 2
    err = capsys.readouterr().err
    lines = path.read_text().splitlines()
    line = lines.index("telemetry:") + 2  # the shared telemetry.mask_keys just written
    assert f"storefront.yaml:{line}: telemetry.mask_keys = " in err
    assert "room for 8" in err and "Traceback" not in err
