"""A checkov baseline beside the stacks, so that plain checkov honours golden_path's skips.

golden_path writes every skip on its resource (``"//": {"checkov": {"skip": [...]}}``,
``resolve/checkov_skips.py``), but checkov 3.3's ``terraform_json`` runner never reads
inline skips (bridgecrewio/checkov#4634: ``terraform_json/runner.py`` passes an empty
skip list to ``registry.scan``, line 208). A team that runs checkov itself, as checkov's
docs say for cdktf, would see every skipped check as a failure. So every synth writes
``cdktf.out/.checkov.baseline`` (the name and place ``checkov --create-baseline -d cdktf.out``
would use), derived from the skips written on the resources, and the team runs::

    checkov -d cdktf.out --framework terraform_json --baseline cdktf.out/.checkov.baseline \
            --output-baseline-as-skipped

(the last flag lists what the baseline excuses as skipped, ``baseline-skipped``, instead of
dropping it from the report).

How checkov 3.3.30 reads it (``checkov/common/output/baseline.py``):

- ``from_json`` (lines 94-98) keeps only the top-level ``failed_checks`` list; other keys
  (our ``//`` note and ``reasons``) are ignored;
- ``_is_check_in_baseline`` (lines 85-92) matches a result by its ``resource`` string and
  check id only: never by ``file`` (absolute or relative, it is not read) and never by
  other keys of a finding. A baseline therefore works from any checkout path and any
  ``-d``; and an entry excuses that check on that resource address *in every stack*.
  golden_path's construct addresses are the same in every stack, so entries are written
  once per address (a file per stack would only make checkov slower: it compares every
  result with every entry), under the first stack file that has it;
- checkov names a resource ``resource.<name>`` in its Python checks and ``<type>.<name>``
  in its graph checks (``terraform_json/runner.py`` lines 204 and 168), so each resource is
  listed under both names.

The skips on the resources stay the one source of truth: ``golden-path review --checkov``
applies them per stack (``checkov_scan.py``); this file is their index for plain checkov.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..resolve.checkov_skips import skips_in

#: Where every synth writes the baseline, inside the output directory.
BASELINE_FILE = ".checkov.baseline"
#: The command a team runs from the directory holding ``cdktf.out``.
COMMAND = (f"checkov -d cdktf.out --framework terraform_json --baseline cdktf.out/{BASELINE_FILE} "
           "--output-baseline-as-skipped")
NOTE = ("Written by golden_path's synth from the checkov skips on the resources "
        "(constructs/golden_path/resolve/checkov_skips.py): do not edit. Run: " + COMMAND + ". "
        "checkov matches an entry by resource and check id only (not by file): an entry "
        "excuses that check on that resource in every stack. Each resource is listed as "
        "resource.<name> (checkov's Python checks) and <type>.<name> (its graph checks); "
        "stacks: in how many stacks the resource carries each skip. Why each check is "
        "skipped: reasons.")


def stack_skips(doc: dict) -> list[list[str]]:
    """[type, name, check, reason] of every skip written in one stack's document (what
    the synth cache keeps beside the stack, so a cached stack is not parsed again)."""
    return [[rtype, name, check, reason]
            for rtype, blocks in sorted((doc.get("resource") or {}).items())
            for name, body in sorted(blocks.items()) if isinstance(body, dict) and "//" in body
            for check, reason in skips_in(body).items()]


def baseline(docs: dict[str, dict]) -> dict:
    """The baseline of the skips written in ``docs`` ({stack: parsed cdk.tf.json})."""
    return baseline_of_skips({stack: stack_skips(doc) for stack, doc in docs.items()})


def baseline_of_skips(skips: dict[str, list[list[str]]]) -> dict:
    """The baseline of {stack: :func:`stack_skips`}."""
    #: checkov's resource name -> check id -> the stacks that skip it there
    checks: dict[str, dict[str, set[str]]] = {}
    first: dict[str, str] = {}  # checkov's resource name -> the first file that has it
    reasons: dict[str, list[str]] = {}
    for stack in sorted(skips):
        for rtype, name, check, reason in skips[stack]:
            if reason not in reasons.setdefault(check, []):
                reasons[check].append(reason)
            for resource in (f"resource.{name}", f"{rtype}.{name}"):
                checks.setdefault(resource, {}).setdefault(check, set()).add(stack)
                first.setdefault(resource, f"/stacks/{stack}/cdk.tf.json")
    by_file: dict[str, list[dict]] = {}
    for resource in sorted(checks):
        by_file.setdefault(first[resource], []).append(
            {"resource": resource, "check_ids": sorted(checks[resource]),
             "stacks": {c: len(checks[resource][c]) for c in sorted(checks[resource])}})
    return {
        "//": NOTE,
        "reasons": {c: r[0] if len(r) == 1 else r for c, r in sorted(reasons.items())},
        "failed_checks": [{"file": f, "findings": by_file[f]} for f in sorted(by_file)],
    }


def baseline_text(docs: dict[str, dict]) -> str:
    return _text(baseline(docs))


def _text(doc: dict) -> str:
    return json.dumps(doc, indent=2) + "\n"


def read_docs(outdir: str | Path) -> dict[str, dict]:
    """{stack: parsed cdk.tf.json} under ``outdir``/stacks."""
    return {p.parent.name: json.loads(p.read_bytes())
            for p in sorted(Path(outdir, "stacks").glob("*/cdk.tf.json"))}


def write_baseline(outdir: str | Path, skips: dict[str, list[list[str]]] | None = None) -> Path:
    """Write ``outdir``/.checkov.baseline for the stacks under ``outdir`` (their skips
    read from the stacks, or given as {stack: :func:`stack_skips`})."""
    path = Path(outdir) / BASELINE_FILE
    path.write_text(_text(baseline(read_docs(outdir)) if skips is None else baseline_of_skips(skips)))
    return path
