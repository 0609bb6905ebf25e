"""The review as GitHub-flavoured Markdown (one PR comment) or JSON (for tools)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..fleet.changed import ChangedStacks
from .findings import Finding
from .group import counts, group_changes, group_findings, identity_of, where
from .identity import environment_order
from .imports import Import
from .plan import PlanSummary
from .synth_diff import StackDiff

if TYPE_CHECKING:
    from .checkov_scan import CheckovRun

#: GitHub refuses comments longer than this.
COMMENT_LIMIT = 65_536
#: The order of "What you must not miss": every rule of ``ALL_RULES``.
MUST_NOT_MISS = ["wildcard-iam", "iam-widened", "boundary-changed", "public-ingress",
                 "new-listener-rule", "slo-removed", "slo-lowered", "slo-alert-off-paging",
                 "paging-alarm-removed", "alarm-removed", "alarm-added",
                 "alarm-changed", "sampling-changed", "log-filters-changed", "masking-removed",
                 "data-protection-removed",
                 "image-changed", "recursion-guard-changed", "stateful-destroy", "destroy",
                 "checkov-new-failures", "checkov-skip-added"]
#: The telemetry volume and cost lines follow the last of these rules.
COST_AFTER = ("sampling-changed", "log-filters-changed")


class FindingModel(BaseModel):
    rule: str
    stack: str
    resource: str
    detail: str


class StackModel(BaseModel):
    name: str
    added: list[str]
    removed: list[str]
    changed: dict[str, list[dict[str, Any]]]
    #: Who the stack is, read from the stack (tags, provider): for grouping and counts.
    environment: str | None = None
    service: str | None = None
    team: str | None = None
    account: str | None = None
    region: str | None = None
    #: lambda, web, worker, team (a team's alert routes) or other
    kind: str = "other"


class ChangeGroupModel(BaseModel):
    """One change wherever it appears: ``address``, ``path``, ``before`` and ``after`` with
    each stack's own name, environment, service, team, account and region replaced by
    ``{stack}``, ``{environment}``, ... (a digest by ``{hash}``); a config text's change
    as its diff in ``after``."""

    action: str  # changed, added, removed
    type: str
    address: str
    path: str | None = None
    before: Any = None
    after: Any = None
    stacks: list[str]
    where: str


class FindingGroupModel(BaseModel):
    """One finding wherever it appears (``resource`` and ``detail`` normalized; in a group
    of one stack, as found)."""

    rule: str
    resource: str
    detail: str
    stacks: list[str]
    where: str


class SummaryModel(BaseModel):
    """What changed and where: stacks by status, environment, team and kind."""

    stacks_changed: int = 0
    stacks_added: int = 0
    stacks_removed: int = 0
    stacks_unchanged: int = 0
    by_environment: dict[str, int] = {}
    by_team: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    #: The environments in rollout order (the apply order's, else the usual one).
    environments: list[str] = []


class PlanModel(BaseModel):
    name: str
    create: int
    update: int
    delete: int
    replace: int
    replacements: list[dict[str, Any]]
    deletions: list[str]
    #: what the plan imports (adopt:): {address, id, action}
    imports: list[dict[str, str]] = []


class ImportModel(BaseModel):
    """A live resource a stack takes over in place (a Terraform import block, ``adopt:``)."""

    stack: str
    address: str
    id: str
    #: import (from the synth), or from a plan: import, import and update, import and replace
    action: str = "import"


class CostLineModel(BaseModel):
    """The volume and cost change per day of a stack's telemetry change (``telemetry/cost``)."""

    stack: str
    detail: str
    per_day: float | None = None
    currency: str | None = None
    #: An incident override: its days left, and what it costs in total until it expires.
    days: int | None = None
    total: float | None = None


class CheckovModel(BaseModel):
    """That checkov ran (``--checkov``), on what, and what it found in head after
    golden_path's skips."""

    version: str
    #: stacks of head scanned
    stacks: int
    passed: int
    failed: int
    #: every skipped check: golden_path's (each with its reason on the resource) and any
    #: checkov skipped itself (its own configuration)
    skipped: int
    golden_path_skips: int
    #: skips on a resource whose check passes (drop them)
    stale_skips: int = 0
    new_failures: int
    #: base was scanned too (only when head fails a check: else nothing can be new)
    base_scanned: bool = False


class ReviewModel(BaseModel):
    """The JSON form's schema (``golden-path review --format json``)."""

    stacks: list[StackModel]
    plans: list[PlanModel]
    findings: list[FindingModel]
    checkov_new_failures: list[list[str]] | None
    fired: list[str]
    #: [stack, check, resource, reason] for every checkov skip head adds.
    checkov_skips_added: list[list[str]] = []
    #: From ``golden-path changed``: the order CI applies the stacks in, and the stacks
    #: removed (destroyed only through the explicit destroy step).
    apply_order: list[str] = []
    removed_stacks: list[str] = []
    #: Per stack whose sampling, log floor, noise filters or incident override changes.
    cost: list[CostLineModel] = []
    #: The changes grouped across stacks (the most stacks first), and the findings.
    changes: list[ChangeGroupModel] = []
    finding_groups: list[FindingGroupModel] = []
    summary: SummaryModel = SummaryModel()
    #: Present when the review ran checkov (``--checkov``).
    checkov: CheckovModel | None = None
    #: The resources taken over in place (the import blocks head adds, and what plans import).
    imports: list[ImportModel] = []


def checkov_model(run: CheckovRun) -> CheckovModel:
    head = run.head
    return CheckovModel(version=head.version or "?", stacks=head.stacks, passed=head.passed,
                        failed=len(head.failed), skipped=len(head.skipped) + head.checkov_skipped,
                        golden_path_skips=len(head.skipped), stale_skips=len(head.stale),
                        new_failures=len(run.new), base_scanned=run.base is not None)


def build(diffs: list[StackDiff], plans: list[PlanSummary], found: list[Finding],
          checkov_new: set[tuple[str, str, str]] | None, fail_on: list[str],
          changed: ChangedStacks | None = None,
          skips: list[tuple[str, str, str, str]] = (), cost: list | None = None,
          checkov: CheckovRun | None = None, imports: list[Import] = ()) -> ReviewModel:
    """The review; ``checkov``: the scan of ``--checkov`` (its new failures are
    ``checkov_new`` when that is not given)."""
    if checkov is not None and checkov_new is None:
        checkov_new = checkov.new
    rules = ({f.rule for f in found} | ({"checkov-new-failures"} if checkov_new else set())
             | ({"checkov-skip-added"} if skips else set()))
    rank = {name: i for i, name in enumerate(changed.apply_order)} if changed else {}
    live = [d for d in sorted(diffs, key=lambda d: (rank.get(d.name, len(rank)), d.name))
            if not d.empty]
    identities = {d.name: identity_of(d) for d in diffs}
    seen = [identities[d.name].environment for d in live]
    # The environments in the order the rollout reaches them (else the usual order).
    envs = list(dict.fromkeys(e for e in seen if e)) if rank else environment_order(seen)
    env_rank = {e: i for i, e in enumerate(envs)}

    def where_(stacks: list[str]) -> str:
        return where(stacks, identities, env_rank)

    every = list(found) + [Finding("checkov-new-failures", s, r, c)
                           for s, c, r in sorted(checkov_new or ())]
    every += [Finding("checkov-skip-added", s, r, f"skips {c}, because {why}")
              for s, c, r, why in skips]
    names = [d.name for d in live]
    stack_level = {d.name: ("added" if not d.base else "removed" if not d.head else "changed")
                   for d in live}
    summary = SummaryModel(
        stacks_changed=sum(v == "changed" for v in stack_level.values()),
        stacks_added=sum(v == "added" for v in stack_level.values()),
        stacks_removed=sum(v == "removed" for v in stack_level.values()),
        stacks_unchanged=len(diffs) - len(live),
        by_environment=counts(names, identities, "environment", envs),
        by_team=counts(names, identities, "team"), by_kind=counts(names, identities, "kind"),
        environments=envs)
    return ReviewModel(
        stacks=[StackModel(name=d.name, added=d.added, removed=d.removed,
                           changed={c.address: [asdict(a) for a in c.changes]
                                    for c in d.changed},
                           **{k: getattr(identities[d.name], k) for k in (
                               "environment", "service", "team", "account", "region", "kind")})
                for d in live],
        apply_order=changed.apply_order if changed else [],
        removed_stacks=changed.destroy_order if changed else [],
        plans=[PlanModel(**asdict(p)) for p in plans],
        findings=[FindingModel(**asdict(f)) for f in found],
        checkov_new_failures=None if checkov_new is None else [list(x) for x in
                                                               sorted(checkov_new)],
        fired=sorted(r for r in fail_on if r in rules),
        checkov_skips_added=[list(s) for s in skips],
        cost=[CostLineModel(**asdict(c)) for c in cost or []],
        changes=[ChangeGroupModel(action=g.action, type=g.type, address=g.address, path=g.path,
                                  before=g.before, after=g.after, stacks=g.stacks,
                                  where=where_(g.stacks))
                 for g in group_changes(live)],
        finding_groups=[FindingGroupModel(
            rule=g.rule, resource=g.resource if len(g.stacks) > 1 else g.first.resource,
            detail=g.detail if len(g.stacks) > 1 else g.first.detail, stacks=g.stacks,
            where=where_(g.stacks)) for g in group_findings(every, identities)],
        summary=summary,
        checkov=checkov_model(checkov) if checkov is not None else None,
        imports=[ImportModel(**asdict(i)) for i in _imports(imports, plans)],
    )


def _imports(synthesized: list[Import], plans: list[PlanSummary]) -> list[Import]:
    """The synth's import blocks, with the plan's action where a plan of the stack says it."""
    planned = {(p.name, i["address"]): Import(p.name, i["address"], i["id"], i["action"])
               for p in plans for i in p.imports}
    merged = {(i.stack, i.address): i for i in synthesized}
    return sorted({**merged, **planned}.values(), key=lambda i: (i.stack, i.address))


def to_json(review: ReviewModel) -> str:
    return review.model_dump_json(indent=2)


def to_markdown(review: ReviewModel, limit: int = COMMENT_LIMIT, json_out: str | None = None) -> str:
    """The review as one pull-request comment, never longer than ``limit`` (``markdown.py``)."""
    from .markdown import render

    return render(review, limit, json_out)
