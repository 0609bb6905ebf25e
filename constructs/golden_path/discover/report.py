"""The report of a discover run: Markdown for a person, JSON for a script."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..spec.common import TODO
from .translate import Found, Skipped


@dataclass
class Written:
    file: str
    name: str
    kind: str
    resource: str
    team: str
    merged: bool
    notes: list[str] = field(default_factory=list)
    todo_secrets: list[str] = field(default_factory=list)


@dataclass
class Report:
    environment: str
    account: str
    region: str
    functions: int
    services: int
    written: list[Written] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Teams named by tags that teams.yaml does not have.
    unknown_teams: list[str] = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        return {"functions_found": self.functions, "services_found": self.services,
                "written": len(self.written),
                "merged": sum(w.merged for w in self.written),
                "skipped": len(self.skipped),
                "todo_teams": sum(w.team == TODO for w in self.written),
                "todo_secrets": sum(len(w.todo_secrets) for w in self.written)}


def written(found: Found, file: str, merged: bool) -> Written:
    secrets = found.data.get("secrets") or {}
    return Written(file, found.name, found.kind, found.resource, found.data["team"], merged,
                   list(found.notes), sorted(k for k, v in secrets.items() if v == TODO))


def to_json(report: Report) -> str:
    data = asdict(report)
    data["counts"] = report.counts
    return json.dumps(data, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    c = report.counts
    lines = [f"# golden-path discover: {report.environment} (account {report.account}, "
             f"{report.region})", "",
             f"Found {c['functions_found']} Lambda functions and {c['services_found']} ECS "
             f"services; wrote {c['written']} service files ({c['merged']} merged into an "
             f"existing file); skipped {c['skipped']}. {report.calls} AWS API calls in "
             f"{report.seconds:.1f} s.", ""]
    if report.written:
        lines += ["## Written", "", "| file | service | kind | from | team |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {w.file}{' (merged)' if w.merged else ''} | {w.name} | {w.kind} | "
                  f"{_cell(w.resource)} | {w.team} |" for w in report.written]
        lines.append("")
    if report.skipped:
        lines += ["## Skipped (golden_path does not manage them as they are)", "",
                  "| kind | resource | why |", "| --- | --- | --- |"]
        lines += [f"| {s.kind} | {_cell(s.resource)} | {_cell(s.reason)} |" for s in report.skipped]
        lines.append("")
    todo = [w for w in report.written if w.team == TODO or w.todo_secrets]
    if todo or report.unknown_teams:
        lines += ["## To fill in before `golden-path validate`", ""]
        lines += [f"- {w.file}: team (no team tag on {w.resource})" for w in todo
                  if w.team == TODO]
        lines += [f"- {w.file}: secrets {', '.join(w.todo_secrets)} (values not copied: store "
                  "each in Secrets Manager, write its ARN)" for w in todo if w.todo_secrets]
        lines += [f"- teams.yaml has no team {t}: add it, or correct the tag"
                  for t in report.unknown_teams]
        lines.append("")
    noted = [w for w in report.written if w.notes]
    if noted:
        lines += ["## Left alone, and what changes on the first apply", ""]
        for w in noted:
            lines.append(f"- **{w.name}** ({w.resource}):")
            lines += [f"  - {n}" for n in w.notes]
        lines.append("")
    lines += ["Next: review the files, `golden-path validate` them, then `golden-path synth` "
              "and `terraform plan`: the adopted resources are imported, nothing they name is "
              "created again."]
    return "\n".join(lines) + "\n"
