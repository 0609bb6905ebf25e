"""Client identity is pseudonymized (a keyed hash), not deleted: the statements read back
from the rendered configs and run on sample records in Python."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ACCOUNT
from golden_path import SpecError, resolve
from golden_path.load.service_file import parse_service
from golden_path.resolve.lambda_ import resolve_function
from golden_path.telemetry.render import render_collector_config, render_self_metrics_config
from pipeline import Record, apply_mask, apply_pseudonyms, mask_statements, pseudonym_statements

KEY_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:observability/pseudonym-key-AbCdEf"
ECS_REF = "${env:PSEUDONYM_KEY}"


def hashed(spec: dict, **telemetry):
    spec["telemetry"].update(pseudonym_key_secret_arn=KEY_ARN, **telemetry)
    parsed = parse_service(spec)
    return resolve_function(parsed) if spec.get("runtime") == "lambda" else resolve(parsed)


def ecs_configs(svc) -> tuple[dict, dict]:
    """(the main collector config, the second file that defines the pseudonym processor)."""
    return (yaml.safe_load(render_collector_config(svc)),
            yaml.safe_load(render_self_metrics_config(svc)))


SPAN = Record(attributes={"enduser.id": "customer-48213", "client.address": "203.0.113.7",
                          "http.route": "/orders/{id}", "user.email": "jane@example.com"})


def test_same_client_same_pseudonym_other_key_other_pseudonym(web):
    svc = hashed(web)
    main, second = ecs_configs(svc)
    for pipeline in ("traces/errors", "traces/sampled", "logs"):
        processors = main["service"]["pipelines"][pipeline]["processors"]
        assert processors.index("transform/pseudonymize") + 1 == processors.index("transform/mask")
    for context in ("span", "log"):
        statements = pseudonym_statements(second, context)
        assert len(statements) == 2 and all(ECS_REF in st for st in statements)
        first = apply_pseudonyms(statements, SPAN, {ECS_REF: "k1"}).attributes
        again = apply_pseudonyms(statements, SPAN, {ECS_REF: "k1"}).attributes
        other = apply_pseudonyms(statements, SPAN, {ECS_REF: "k2"}).attributes
        assert first == again
        assert first["enduser.id"] != other["enduser.id"]
        assert first["client.address"] != other["client.address"]
        assert len(first["enduser.id"]) == 64 and first["enduser.id"] != SPAN.attributes["enduser.id"]
        assert first["http.route"] == "/orders/{id}"
        # Then masking: the pseudonym stays; e-mail addresses are still deleted.
        masked = apply_mask(mask_statements(main, context), Record(attributes=first)).attributes
        assert masked["enduser.id"] == first["enduser.id"] and "user.email" not in masked
        assert "customer-48213" not in str(masked) and "203.0.113.7" not in str(masked)


def test_the_key_is_a_reference_never_a_value(web):
    svc = hashed(web)
    text = render_self_metrics_config(svc)
    # One '$': the collector expands it at start (a doubled '$$' would hash a constant).
    assert f'["{ECS_REF}", attributes' in text and "$${env:PSEUDONYM_KEY}" not in text
    assert svc.collector.pseudonym_key_secret_arn == KEY_ARN
    assert KEY_ARN.rsplit("-", 1)[0].rsplit(":", 1)[0] in {a.rsplit(":", 1)[0] for a in svc.secret_arns}


def test_team_keys_are_pseudonymized_too(web):
    svc = hashed(web, pseudonymize_keys=["app.tenant_id"])
    _, second = ecs_configs(svc)
    out = apply_pseudonyms(pseudonym_statements(second, "log"),
                           Record(attributes={"app.tenant_id": "acme"}), {ECS_REF: "k"})
    assert out.attributes["app.tenant_id"] not in ("acme", None)
    assert svc.telemetry.pseudonym_keys == ("enduser.id", "client.address", "app.tenant_id")


def test_without_a_key_client_identity_is_deleted(web):
    svc = resolve(parse_service(web))
    main, second = ecs_configs(svc)
    assert svc.telemetry.pseudonymize == "delete"
    assert "transform/pseudonymize" not in second.get("processors", {})
    kept = apply_mask(mask_statements(main, "span"), SPAN).attributes
    assert kept == {"http.route": "/orders/{id}"}


def test_delete_is_an_explicit_choice_even_with_a_key(web):
    svc = hashed(web, pseudonymize="delete")
    assert svc.telemetry.pseudonymize == "delete" and svc.collector.pseudonym_key_secret_arn is None
    assert not any("pseudonym-key" in a for a in svc.secret_arns)


@pytest.mark.parametrize(("telemetry", "field", "hint"), [
    ({"pseudonymize": "hash"}, "telemetry.pseudonymize",
     "no pseudonym key: the platform names one in platform.yaml "
     "(telemetry.pseudonym_key_secret_arn), or set telemetry.pseudonym_key_secret_arn; "
     "or use pseudonymize: delete"),
    ({"pseudonym_key_secret_arn": KEY_ARN, "mask_keys": ["enduser.id"]},
     "telemetry.mask_keys[0]",
     "this key is pseudonymized (a client identity); remove it from mask_keys, or set "
     "pseudonymize: delete to delete every client identity"),
])
def test_bad_pseudonym_settings(web, telemetry, field, hint):
    web["telemetry"].update(telemetry)
    with pytest.raises(SpecError) as caught:
        resolve(parse_service(web))
    assert (caught.value.field, caught.value.hint) == (field, hint)


def test_adot_cannot_hash_and_offers_deletion(web):
    with pytest.raises(SpecError) as caught:
        render_collector_config(hashed(web, distribution="adot", masking="keys_only"))
    assert caught.value.field == "telemetry.pseudonymize"
    assert caught.value.hint == (
        "the telemetry policy needs processor 'transform', which adot 0.49.0 does not contain "
        "(source: aws-observability/aws-otel-collector, tag v0.49.0, "
        "pkg/defaultcomponents/defaults.go); use distribution: contrib, or pseudonymize: "
        "delete to delete client identity (enduser.id, client.address) instead of "
        "pseudonymizing it")
    fallback = hashed(web, distribution="adot", masking="keys_only", pseudonymize="delete")
    (action,) = yaml.safe_load(render_collector_config(fallback))["processors"][
        "attributes/mask"]["actions"]
    assert "enduser\\.id" in action["pattern"] and "client\\.address" in action["pattern"]


def test_lambda_layer_reads_the_key_from_secrets_manager(fn):
    svc = hashed(fn)
    config = yaml.safe_load(render_collector_config(svc))
    ref = "${secretsmanager:" + KEY_ARN + "}"
    statements = pseudonym_statements(config, "span")
    assert all(ref in st for st in statements)
    out = apply_pseudonyms(statements, SPAN, {ref: "k1"}).attributes
    assert out["enduser.id"] == apply_pseudonyms(statements, SPAN, {ref: "k1"}).attributes[
        "enduser.id"] != "customer-48213"
    for name in ("traces/errors", "traces/sampled", "logs"):
        assert "transform/pseudonymize" in config["service"]["pipelines"][name]["processors"]
    assert KEY_ARN in svc.secret_arns


def test_the_readme_sample_is_what_the_statements_compute(web):
    _, second = ecs_configs(hashed(web))
    out = apply_pseudonyms(pseudonym_statements(second, "span"), SPAN, {ECS_REF: "k1"}).attributes
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"enduser.id={out['enduser.id']}" in readme
    assert f"client.address={out['client.address']}" in readme
