"""Client identity is pseudonymized (a keyed hash), not deleted: the statements read back
from the rendered configs and run on sample records in Python."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ACCOUNT
from golden_path import SpecError, resolve
from golden_path.load.service_file import parse_service
from golden_path.resolve.containers import telemetry_init_container
from golden_path.resolve.lambda_ import resolve_function
from golden_path.telemetry.render import (
    PSEUDONYM_KEY_FILE,
    merge_configs,
    render_collector_config,
    render_router_config,
    render_self_metrics_config,
)
from pipeline import Record, apply_pseudonyms, mask, pseudonym_statements

KEY_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:observability/pseudonym-key-AbCdEf"
ECS_REF = "${file:" + PSEUDONYM_KEY_FILE + "}"
LAMBDA_REF = "${secretsmanager:" + KEY_ARN + "}"


def hashed(spec: dict, **telemetry):
    spec["telemetry"].update(pseudonym_key_secret_arn=KEY_ARN, **telemetry)
    parsed = parse_service(spec)
    return resolve_function(parsed) if spec.get("runtime") == "lambda" else resolve(parsed)


def ecs_configs(svc) -> tuple[dict, dict]:
    """(the collector's config as it runs: both files merged, the second file alone, which
    defines the pseudonym processor)."""
    second = yaml.safe_load(render_self_metrics_config(svc))
    return merge_configs(yaml.safe_load(render_collector_config(svc)), second), second


SPAN = Record(attributes={"enduser.id": "customer-48213", "client.address": "203.0.113.7",
                          "http.route": "/orders/{id}", "user.email": "jane@example.com"})


def test_same_client_same_pseudonym_other_key_other_pseudonym(web):
    svc = hashed(web)
    main, second = ecs_configs(svc)
    for pipeline, masking in (("traces/errors", "transform/mask"),
                              ("traces/sampled", "transform/mask"), ("logs", "transform/mask_logs")):
        processors = main["service"]["pipelines"][pipeline]["processors"]
        assert processors.index("transform/pseudonymize") + 1 == processors.index(masking)
    for context, signal in (("span", "traces"), ("log", "logs")):
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
        masked = mask(main, signal, Record(attributes=first)).attributes
        assert masked["enduser.id"] == first["enduser.id"] and "user.email" not in masked
        assert "customer-48213" not in str(masked) and "203.0.113.7" not in str(masked)


def test_the_key_is_a_reference_never_a_value(web):
    svc = hashed(web)
    text = render_self_metrics_config(svc)
    # One '$': the collector expands it at start (a doubled '$$' would hash a constant).
    assert f'["{ECS_REF}", attributes' in text and "$${file:" not in text
    assert svc.collector.pseudonym_key_secret_arn == KEY_ARN
    # The execution role still reads the secret: ECS injects it into telemetry-init.
    assert KEY_ARN.rsplit("-", 1)[0].rsplit(":", 1)[0] in {a.rsplit(":", 1)[0] for a in svc.secret_arns}
    init = telemetry_init_container(svc, render_router_config(svc))
    assert {"name": "PSEUDONYM_KEY", "valueFrom": KEY_ARN} in init["secrets"]
    assert "${" not in init["command"][2]  # Terraform would read it as an interpolation


def derive_key(svc, secret: str | None, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run telemetry-init's key derivation (its script after the Fluent Bit part) in a
    POSIX shell, writing into ``tmp_path`` instead of the shared volume."""
    script = telemetry_init_container(svc, render_router_config(svc))["command"][2]
    derivation = script[script.index("k=$("):].replace(PSEUDONYM_KEY_FILE, str(tmp_path / "key.yaml"))
    env = {"PATH": os.environ["PATH"]}
    if secret is not None:
        env["PSEUDONYM_KEY"] = secret
    return subprocess.run(["sh", "-c", derivation], env=env, capture_output=True, text=True,
                          check=False)


@pytest.mark.parametrize("secret", [
    "k1", 'a"quote', "back\\slash", '{"pseudonym_key": "s3cr3t", "rotated": "2026-11-01"}',
    "line\nbreak $HOME ${env:X}", "0123456789",
])
def test_any_secret_becomes_a_hex_key_the_ottl_literal_holds(web, fn, secret, tmp_path):
    svc = hashed(web)
    assert derive_key(svc, secret, tmp_path).returncode == 0
    written = tmp_path / "key.yaml"
    # The file provider parses the file as YAML: a quoted string, 64 hex characters, even
    # for a secret of digits only (unquoted, YAML could read it as a number).
    hex_key = yaml.safe_load(written.read_text())
    assert hex_key == hashlib.sha256(secret.encode()).hexdigest()
    assert oct(written.stat().st_mode & 0o777) == "0o400"
    _, second = ecs_configs(svc)
    ecs = apply_pseudonyms(pseudonym_statements(second, "span"), SPAN, {ECS_REF: hex_key})
    # Lambda hashes the raw secret in OTTL: the same pseudonym, when the literal can hold it.
    lam = yaml.safe_load(render_collector_config(hashed(fn)))
    lambda_statements = pseudonym_statements(lam, "span")
    if '"' in secret or "\\" in secret:
        with pytest.raises(AssertionError, match="breaks the OTTL literal"):
            apply_pseudonyms(lambda_statements, SPAN, {LAMBDA_REF: secret})
    else:
        assert apply_pseudonyms(lambda_statements, SPAN, {LAMBDA_REF: secret}) == ecs


@pytest.mark.parametrize("secret", [None, ""])
def test_no_secret_no_key_file_the_task_does_not_start(web, secret, tmp_path):
    done = derive_key(hashed(web), secret, tmp_path)
    assert done.returncode != 0 and not (tmp_path / "key.yaml").exists()


def test_without_pseudonyms_telemetry_init_gets_no_secret(web):
    svc = resolve(parse_service(web))
    init = telemetry_init_container(svc, render_router_config(svc))
    assert [s["name"] for s in init["secrets"]] == ["FLUENT_BIT_CONFIG"]
    assert "sha256sum" not in init["command"][2]


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
    kept = mask(main, "traces", SPAN).attributes
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
    ref = LAMBDA_REF
    statements = pseudonym_statements(config, "span")
    assert all(f'SHA256("{ref}")' in st for st in statements)
    out = apply_pseudonyms(statements, SPAN, {ref: "k1"}).attributes
    assert out["enduser.id"] == apply_pseudonyms(statements, SPAN, {ref: "k1"}).attributes[
        "enduser.id"] != "customer-48213"
    for name in ("traces/errors", "traces/sampled", "logs"):
        assert "transform/pseudonymize" in config["service"]["pipelines"][name]["processors"]
    assert KEY_ARN in svc.secret_arns


def test_the_readme_sample_is_what_the_statements_compute(web):
    _, second = ecs_configs(hashed(web))
    out = apply_pseudonyms(pseudonym_statements(second, "span"), SPAN, {ECS_REF: "k1"}).attributes
    readme = (Path(__file__).parents[2] / "docs" / "telemetry.md").read_text()
    assert f"enduser.id={out['enduser.id']}" in readme
    assert f"client.address={out['client.address']}" in readme
