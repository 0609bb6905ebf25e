"""``--check-live`` against the emulator: names the stacks would create that already exist
in the account are errors naming the adopt: line; adopted ones and other accounts are not.

The examples' sandbox account (111122223333) is given a few live resources with boto3 in
a moto server (tests/emulator.py); no AWS account is reached.
"""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
import yaml

import emulator as em
from conftest import EXAMPLES

SANDBOX = "111122223333"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    server = em.start_emulator(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(emu):
    """In the sandbox account: price-api's function, role and log group, and
    invoice-consumer's queue, under the names golden_path derives."""
    c = lambda service: emu.client(service, SANDBOX)  # noqa: E731
    role = c("iam").create_role(RoleName="price-api-sandbox-function",
                                AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("index.js", "exports.handler = async () => ({});\n")
    c("lambda").create_function(FunctionName="price-api-sandbox", Runtime="nodejs22.x",
                                Role=role, Handler="index.handler",
                                Code={"ZipFile": package.getvalue()})
    c("logs").create_log_group(logGroupName="/aws/lambda/price-api-sandbox")
    c("sqs").create_queue(QueueName="invoice-consumer-sandbox")
    return {"role": role, "queue": f"arn:aws:sqs:eu-west-1:{SANDBOX}:invoice-consumer-sandbox"}


def _run(emu, monkeypatch, capsys, *paths: str) -> tuple[int, str]:
    from golden_path.cli import main

    for key, value in emu.credentials(SANDBOX).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(["validate", *paths, "--check-live", "--endpoint-url", emu.url])
    return code, capsys.readouterr().err


def test_live_names_that_are_not_adopted_are_errors_with_the_adopt_line(
        emu, live, monkeypatch, capsys):
    code, err = _run(emu, monkeypatch, capsys, str(EXAMPLES / "services"))
    assert code == 2, err
    problems = [line.strip() for line in err.splitlines() if "already exists" in line]
    assert len(problems) == 4, err
    assert any("Lambda function price-api-sandbox already exists in 111122223333 eu-west-1"
               in p and "`adopt: {function: price-api-sandbox}`" in p for p in problems), err
    assert any("IAM role price-api-sandbox-function" in p
               and "`adopt: {role: price-api-sandbox-function}`" in p for p in problems), err
    assert any("log group /aws/lambda/price-api-sandbox" in p for p in problems), err
    assert any("SQS queue invoice-consumer-sandbox" in p and live["queue"] in p
               for p in problems), err
    # Each error is placed in its service file; the other accounts' stacks are counted.
    assert all("price-api.yaml" in p or "invoice-consumer.yaml" in p for p in problems), err
    assert "stacks of other accounts not checked" in err


def _fleet(tmp_path, key_arn: str | None = None):
    """A copy of the examples; ``key_arn`` replaces the sandbox pseudonym key secret (moto
    gives a created secret its own ARN suffix)."""
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES, fleet, ignore=shutil.ignore_patterns("python-app", "ci"))
    if key_arn:
        platform = fleet / "platform.yaml"
        platform.write_text(platform.read_text().replace(SANDBOX_KEY, key_arn))
    return fleet


SANDBOX_KEY = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:observability/pseudonym-key-Hs42Lm"


def _key(emu, name: str, value: str | None = None, binary: bytes | None = None) -> str:
    secret = {"SecretString": value} if binary is None else {"SecretBinary": binary}
    return emu.client("secretsmanager", SANDBOX).create_secret(Name=name, **secret)["ARN"]


def test_adopted_names_pass(emu, live, monkeypatch, capsys, tmp_path):
    fleet = _fleet(tmp_path, _key(emu, "observability/pseudonym-key", "0f" * 32))
    for name, adopt in (("price-api", {"function": "price-api-sandbox",
                                       "role": live["role"],
                                       "log_group": "/aws/lambda/price-api-sandbox"}),
                        ("invoice-consumer", {"function": "invoice-consumer-sandbox",
                                              "queue": live["queue"]})):
        path = fleet / "services" / f"{name}.yaml"
        data = yaml.safe_load(path.read_text())
        data["environments"]["sandbox"] = {**(data["environments"]["sandbox"] or {}),
                                           "adopt": adopt}
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, err = _run(emu, monkeypatch, capsys, str(fleet / "services"))
    # invoice-consumer-sandbox is adopted but does not exist: that is Terraform's error at
    # plan time ("cannot import non-existent remote object"), not a name conflict.
    assert code == 0, err
    assert "0 names already exist and are not adopted" in err


def test_a_missing_pseudonym_key_secret_is_an_error(emu, live, monkeypatch, capsys, tmp_path):
    """The examples' sandbox key secret does not exist in the emulator: every function and
    task of the environment would fail to start."""
    code, err = _run(emu, monkeypatch, capsys, str(_fleet(tmp_path) / "services"))
    assert code == 2, err
    [problem] = [line for line in err.splitlines() if "pseudonym key secret" in line]
    assert SANDBOX_KEY in problem and "does not exist" in problem, problem
    assert "openssl rand -hex 32" in problem, problem
    assert "1 pseudonym key problem(s)" in err, err


@pytest.mark.parametrize(("value", "binary", "said"), [
    ('{"key": "0123456789abcdef0123"}', None, "holds a double quote, other punctuation"),
    ("abcdef0123456789\\abcdef", None, "holds a backslash"),
    ("abcdef0123456789 ${env:HOME}", None, "holds a dollar sign, other punctuation, whitespace"),
    ("0f0f0f", None, "is 6 characters, too short"),
    (None, b"\x00" * 32, "holds binary data, not a string"),
])
def test_a_pseudonym_key_the_lambda_layer_cannot_splice_into_ottl_is_an_error(
        emu, live, monkeypatch, capsys, tmp_path, value, binary, said):
    """The Lambda layer hands the secret verbatim to an OTTL string literal
    (templates/_pseudonymize.yaml.j2): a quote or a backslash would stop every function's
    collector at start. The error says what kind of character is wrong, never the value."""
    arn = _key(emu, f"bad-key-{abs(hash(said))}", value, binary)
    code, err = _run(emu, monkeypatch, capsys, str(_fleet(tmp_path, arn) / "services"))
    assert code == 2, err
    [problem] = [line for line in err.splitlines() if "pseudonym key secret" in line]
    assert said in problem and arn in problem, problem
    assert "-sandbox and every function reading it" in problem, problem
    assert "put-secret-value" in problem and "openssl rand -hex 32" in problem, problem
    if value:
        assert value not in err and "0123456789abcdef" not in err, err
