"""The review lists the resources a change takes over in place (import blocks, adopt:) in
their own section: from the synth (what head adds) and from plans (what Terraform does
once it has imported them)."""

from __future__ import annotations

import json
from pathlib import Path

from golden_path.cli import main

FUNCTION = "aws_lambda_function.service_function_D439E3B5"
ROLE = "aws_iam_role.service_role_7219DDCB"


def _out(root: Path, imports: list[dict]) -> Path:
    stack = root / "stacks" / "billing-sync-production"
    stack.mkdir(parents=True)
    doc = {"resource": {"aws_lambda_function": {"service_function_D439E3B5": {
        "function_name": "billing-sync-prod", "tags": {"service": "billing-sync",
                                                       "environment": "production"}}},
        "aws_iam_role": {"service_role_7219DDCB": {"name": "billing-sync-prod-role"}}}}
    if imports:
        doc["import"] = imports
    (stack / "cdk.tf.json").write_text(json.dumps(doc))
    return root


def _plan(path: Path) -> Path:
    path.write_text(json.dumps({"resource_changes": [
        {"address": FUNCTION, "type": "aws_lambda_function",
         "change": {"actions": ["update"], "importing": {"id": "billing-sync-prod"}}},
        {"address": ROLE, "type": "aws_iam_role",
         "change": {"actions": ["no-op"], "importing": {"id": "billing-sync-prod-role"}}},
        {"address": "aws_iam_role_policy.p", "type": "aws_iam_role_policy",
         "change": {"actions": ["create"]}},
    ]}))
    return path


def test_imports_of_head_and_plans_have_their_own_section(tmp_path, capsys):
    head = _out(tmp_path / "head", [{"to": FUNCTION, "id": "billing-sync-prod"},
                                    {"to": ROLE, "id": "billing-sync-prod-role"}])
    base = _out(tmp_path / "base", [])
    plan = _plan(tmp_path / "billing-sync-production.json")
    assert main(["review", "--base", str(base), "--head", str(head), "--plan", str(plan),
                 "--format", "json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert review["imports"] == [
        {"stack": "billing-sync-production", "address": ROLE, "id": "billing-sync-prod-role",
         "action": "import"},
        {"stack": "billing-sync-production", "address": FUNCTION, "id": "billing-sync-prod",
         "action": "import and update"}]
    (p,) = review["plans"]
    # The imports are not counted as creates; the one create is the new inline policy.
    assert (p["create"], p["update"], len(p["imports"])) == (1, 1, 2)
    assert main(["review", "--base", str(base), "--head", str(head), "--plan", str(plan)]) == 0
    text = capsys.readouterr().out
    assert "### Imports: 2 live resources taken over in place (1 stack; docs/migration.md)" in text
    assert "- By type: aws_iam_role 1, aws_lambda_function 1" in text
    assert f"- `{FUNCTION}` ← `billing-sync-prod` (import and update)" in text
    assert "| plan | import | create | update | delete | replace |" in text


def test_import_blocks_already_in_base_are_not_listed_again(tmp_path, capsys):
    blocks = [{"to": FUNCTION, "id": "billing-sync-prod"}]
    head, base = _out(tmp_path / "head", blocks), _out(tmp_path / "base", blocks)
    assert main(["review", "--base", str(base), "--head", str(head), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["imports"] == []
    assert main(["review", "--base", str(base), "--head", str(head)]) == 0
    assert "### Imports" not in capsys.readouterr().out
