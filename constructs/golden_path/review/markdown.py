"""The review as one GitHub pull-request comment, always within GitHub's limit.

The comment is built in sections, each with a share of the limit, in the order a
reviewer needs them: what must not be missed (every rule that fired, each with its
grouped findings), the summary (counts by environment, team and kind), the apply
order, the plans, then the changes grouped across stacks. A list that does not fit is
shortened with "… and N more" and where to read the rest (the JSON report); nothing is
left out without saying so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from .findings import ALL_RULES
from .group import where
from .identity import HASH, Identity
from .report import COMMENT_LIMIT, COST_AFTER, MUST_NOT_MISS, ChangeGroupModel, ReviewModel, StackModel

#: Shares of the limit: what must not be missed, the apply order and removed stacks, the
#: plans. The summary is small; the changes get whatever is left.
MUST_SHARE, ORDER_SHARE, PLAN_SHARE = 0.45, 0.06, 0.08
#: Lines of a config text's diff shown per change, and the width of one line.
DIFF_LINES, DIFF_WIDTH = 30, 200
#: Room kept free for the last line that says what was left out.
MARGIN = 600


def json_hint(json_out: str | None = None) -> str:
    return (f"see the JSON report, `{json_out}`" if json_out else
            "see the JSON report: `golden-path review … --format json` or `--json-out FILE`")


def cell(value: Any, width: int | None = 120) -> str:
    """One line of a value; ``width=None`` never cuts (finding details are short by
    construction and their changed part must show)."""
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def take(items: list[str], budget: int, more: Callable[[int], str], sep: str = "\n") -> list[str]:
    """The items that fit in ``budget`` characters (joined by ``sep``), then, if any are
    left, ``more(n)`` for the ``n`` left; that line is always kept room for."""
    out: list[str] = []
    used = 0
    reserve = len(more(len(items))) + len(sep)
    for i, item in enumerate(items):
        last = i == len(items) - 1
        if used + len(item) + len(sep) + (0 if last else reserve) > budget:
            out.append(more(len(items) - i))
            break
        out.append(item)
        used += len(item) + len(sep)
    return out


def _identities(review: ReviewModel) -> dict[str, Identity]:
    return {s.name: Identity(s.name, s.environment, s.service, s.team, s.account, s.region, s.kind)
            for s in review.stacks}


# --------------------------------------------------------------------- must not miss

def _skip_lines(review: ReviewModel, hint: str) -> list[str]:
    """Skips added, by check and reason (one reason each): the resources that skip it,
    five at most, then how many more and where."""
    by_check: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for stack, check, resource, reason in review.checkov_skips_added:
        by_check.setdefault((check, reason), []).append((stack, resource))
    identities = _identities(review)
    out = []
    for (check, reason), found in sorted(by_check.items()):
        shown = ", ".join(f"`{s}` `{r}`" for s, r in found[:5])
        rest = [s for s, _ in found[5:]]
        more = (f" and {len(rest)} more: {where(rest, identities)} ({hint})" if rest else "")
        out.append(f"  - {check} on {len(found)} resource(s), because {reason}: {shown}{more}")
    return out


def _cost_lines(review: ReviewModel) -> list[str]:
    """The telemetry volume and cost lines; the same line in many stacks (without
    ``--services`` it gives the kept shares only) once, with where."""
    identities = _identities(review)
    by_detail: dict[str, list[str]] = {}
    for c in review.cost:
        ident = identities.get(c.stack) or Identity(c.stack)
        by_detail.setdefault(ident.normalize(c.detail), []).append(c.stack)
    lines = []
    for c in review.cost:
        ident = identities.get(c.stack) or Identity(c.stack)
        stacks = by_detail.pop(ident.normalize(c.detail), None)
        if stacks is None:
            continue  # shown with its group
        lines.append(f"  - `{c.stack}`: {cell(c.detail, None)}" if len(stacks) == 1 else
                     f"  - {cell(ident.normalize(c.detail), None)} — {where(stacks, identities)} "
                     f"({len(stacks)} stacks)")
    return lines


def _finding_lines(review: ReviewModel, rule: str) -> list[str]:
    return [f"  - `{g.stacks[0]}` `{g.resource}`: {cell(g.detail, None)}" if len(g.stacks) == 1
            else f"  - `{g.resource}`: {cell(g.detail, None)} — {g.where} ({len(g.stacks)} stacks)"
            for g in review.finding_groups if g.rule == rule]


def _must_not_miss(review: ReviewModel, budget: int, hint: str) -> list[str]:
    by_rule = Counter(f.rule for f in review.findings)
    groups = Counter(g.rule for g in review.finding_groups)
    if review.checkov_new_failures:
        by_rule["checkov-new-failures"] = len(review.checkov_new_failures)
    if review.checkov_skips_added:
        by_rule["checkov-skip-added"] = len(review.checkov_skips_added)
    important = [r for r in MUST_NOT_MISS if by_rule[r]]
    if not important:
        return ["Nothing: no IAM, network, alarm, telemetry, image or destroy changes."]
    cost_rule = ([r for r in important if r in COST_AFTER] or [None])[-1]
    heads: dict[str, list[str]] = {}
    items: dict[str, list[str]] = {}
    for rule in important:
        n, g = by_rule[rule], groups[rule] if rule != "checkov-skip-added" else 0
        count = f"{n}" if g in (0, n) else f"{n}: {g} distinct"
        heads[rule] = [f"- **{rule}** ({count}): {ALL_RULES[rule]}"]
        items[rule] = (_skip_lines(review, hint) if rule == "checkov-skip-added"
                       else _finding_lines(review, rule))
        if review.cost and rule == cost_rule:
            items["cost"] = _cost_lines(review)
            heads["cost"] = [f"- **telemetry volume and cost** ({len(review.cost)}): per day "
                             "after the policy, at the traffic assumptions and prices of "
                             "`golden-path cost`"]

    def more(n: int) -> str:
        return f"  - … and {n} more ({hint})"

    # Every rule's heading, then its lines round by round: one more line for every rule
    # in turn, so that a rule with 900 findings does not crowd out the next rule.
    used = sum(len(h[0]) + 1 for h in heads.values())
    reserve = len(more(10**6)) + 1
    used += reserve * sum(1 for k in items if items[k])
    shown = dict.fromkeys(items, 0)
    open_ = set(k for k in items if items[k])
    while open_:
        for key in list(heads):
            if key not in open_:
                continue
            line = items[key][shown[key]]
            if used + len(line) + 1 > budget:
                open_.discard(key)
                continue
            used += len(line) + 1
            shown[key] += 1
            if shown[key] == len(items[key]):
                open_.discard(key)
    out = []
    for key, head in heads.items():
        out += head + items[key][: shown[key]]
        if shown[key] < len(items[key]):
            out.append(more(len(items[key]) - shown[key]))
    return out


def _checkov_line(review: ReviewModel) -> list[str]:
    """One line that says checkov ran (``--checkov``), on what, and what it found."""
    c = review.checkov
    if c is None:
        return []
    own = c.skipped - c.golden_path_skips
    skipped = (f"{c.skipped} skipped ({c.golden_path_skips} by golden_path's skips, each with "
               f"its reason on the resource" + (f"; {own} by checkov's own configuration" if own
                                                 else "") + ")")
    new = f"{c.new_failures} new failure{'s' if c.new_failures != 1 else ''}"
    if c.new_failures:
        new = f"**{new}**" + ("" if c.base_scanned else " (no base to compare with)")
    stale = (f"; {c.stale_skips} stale skip{'s' if c.stale_skips != 1 else ''} (the check "
             "passes: drop it)" if c.stale_skips else "")
    return ["", f"checkov {c.version} ran on head's {c.stacks} stack{'s' if c.stacks != 1 else ''}:"
                f" {c.passed} passed, {c.failed} failed, {skipped}; {new}{stale}."]


# --------------------------------------------------------------------------- summary

def _counts(title: str, values: dict[str, int], hint: str, limit: int = 20) -> str:
    """``- title: a 3, b 2, …``: the first ``limit`` counts, then how many more and where
    they are (``hint``: the JSON report)."""
    parts = [f"{k} {v}" for k, v in values.items()]
    more = f" … and {len(parts) - limit} more ({hint})" if len(parts) > limit else ""
    return f"- {title}: " + ", ".join(parts[:limit]) + more


def _summary(review: ReviewModel, hint: str) -> list[str]:
    s = review.summary
    total = s.stacks_changed + s.stacks_added + s.stacks_removed
    if not total:
        return ["No stack changes."]
    clusters = len({tuple(sorted(g.stacks)) for g in review.changes})
    out = [f"**{total} stack{'s change' if total != 1 else ' changes'}** ({s.stacks_changed} changed, "
           f"{s.stacks_added} added, {s.stacks_removed} removed; {s.stacks_unchanged} "
           f"unchanged): {len(review.changes)} distinct change{'s' if len(review.changes) != 1 else ''}"
           f" in {clusters} group{'s' if clusters != 1 else ''} of stacks, below.", ""]
    for title, values in (("by environment", s.by_environment), ("by team", s.by_team),
                          ("by kind", s.by_kind)):
        if set(values) - {"-", "other"}:  # stacks without tags say nothing here
            out.append(_counts(title, values, hint))
    return out if out[-1] else out[:-1]


def _names_line(title: str, names: list[str], budget: int, hint: str, sep: str) -> str:
    shown = take([f"`{n}`" for n in names], budget - len(title),
                 lambda n: f"… and {n} more ({hint})", sep=sep)
    return title + sep.join(shown)


def _plans(review: ReviewModel, budget: int, hint: str) -> list[str]:
    rows = [f"| `{p.name}` | {len(p.imports)} | {p.create} | {p.update} | {p.delete} | "
            f"{p.replace} |" for p in review.plans]
    rows += [f"- replace `{r['address']}` ({r['action_reason']}): {cell(r['replace_paths'])}"
             for p in review.plans for r in p.replacements]
    head = ["| plan | import | create | update | delete | replace |",
            "| --- | --- | --- | --- | --- | --- |"]
    return head + take(rows, budget - 120, lambda n: f"| … and {n} more ({hint}) | | | | | |")


def _imports(review: ReviewModel, budget: int, hint: str) -> list[str]:
    """Resources taken over in place (adopt:): counts by type, then each stack's imports."""
    if not review.imports:
        return []
    by_stack: dict[str, list] = {}
    kinds: dict[str, int] = {}
    for i in review.imports:
        by_stack.setdefault(i.stack, []).append(i)
        rtype = i.address.split(".", 1)[0]
        kinds[rtype] = kinds.get(rtype, 0) + 1
    n = len(review.imports)
    out = [f"### Imports: {n} live resource{'s' if n != 1 else ''} taken over in place "
           f"({len(by_stack)} stack{'s' if len(by_stack) != 1 else ''}; docs/migration.md)", "",
           _counts("By type", dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))), hint), ""]
    blocks = [f"<details><summary><code>{stack}</code> ({len(items)})</summary>\n\n"
              + "\n".join(f"- `{i.address}` ← `{i.id}`"
                          + ("" if i.action == "import" else f" ({i.action})") for i in items)
              + "\n\n</details>" for stack, items in by_stack.items()]
    return out + take(blocks, budget - len("\n".join(out)),
                      lambda k: f"… and {k} more stack(s) with imports ({hint})")


# --------------------------------------------------------------------------- changes

def _value_line(address: str, path: str | None, before: Any, after: Any) -> list[str]:
    if before is None and isinstance(after, str) and "\n" in after or (
            isinstance(after, str) and after.startswith("@@")):
        lines = after.splitlines()
        shown = [line if len(line) <= DIFF_WIDTH else line[: DIFF_WIDTH - 1] + "…"
                 for line in lines[:DIFF_LINES]]
        if len(lines) > DIFF_LINES:
            shown.append(f"… {len(lines) - DIFF_LINES} more lines")
        return [f"- `{address}` `{path}`:", "", "```diff", *shown, "```", ""]
    note = " (a digest: differs in every stack)" if before == after == HASH else ""
    return [f"- `{address}` `{path}`: {cell(before)} → {cell(after)}{note}"]


def _group_lines(g: ChangeGroupModel) -> str:
    if g.action in ("added", "removed"):
        attrs = g.after if g.action == "added" else g.before
        return f"- {g.action} `{g.address}`" + (f": {cell(attrs, 160)}" if attrs else "")
    return "\n".join(_value_line(g.address, g.path, g.before, g.after))


def _stack_lines(stack: StackModel) -> list[str]:
    lines = [f"- added `{a}`" for a in stack.added] + [f"- removed `{r}`" for r in stack.removed]
    for address, changes in stack.changed.items():
        for c in changes:
            lines.append("\n".join(_value_line(address, c["path"], c["before"], c["after"])))
    return lines


def _stack_list(stacks: list[str], identities: dict[str, Identity], budget: int, hint: str) -> str:
    """The stacks of a group, by service (with its environments) where they have one."""
    by_owner: dict[str, list[str]] = {}
    for name in stacks:
        ident = identities.get(name) or Identity(name)
        owner = ident.service or (f"alert routes of {ident.team}" if ident.kind == "team"
                                  and ident.team else None)
        if owner and ident.environment:
            by_owner.setdefault(owner, []).append(ident.environment)
        else:
            by_owner.setdefault(name, [])
    envs = {tuple(v) for v in by_owner.values()}
    same = len(envs) == 1  # every owner in the same environments: the header says which
    items = [f"`{o}`" if same or not e else f"`{o}` ({', '.join(e)})"
             for o, e in sorted(by_owner.items())]
    return ", ".join(take(items, budget, lambda n: f"… and {n} more ({hint})", sep=", "))


def _changes(review: ReviewModel, budget: int, hint: str) -> list[str]:
    if not review.changes:
        return []
    clusters: dict[tuple[str, ...], list[ChangeGroupModel]] = {}
    for g in review.changes:
        clusters.setdefault(tuple(sorted(g.stacks)), []).append(g)
    ordered = sorted(clusters.items(), key=lambda kv: (-len(kv[0]), kv[1][0].address))
    identities = _identities(review)
    stacks = {s.name: s for s in review.stacks}
    out = [f"### Changes ({len(review.changes)} distinct, in {len(ordered)} group"
           f"{'s' if len(ordered) != 1 else ''} of stacks)", ""]
    used = len("\n".join(out)) + 1
    more_clusters = lambda n: f"… and {n} more group(s) of stacks ({hint})"  # noqa: E731
    reserve = len(more_clusters(len(ordered))) + 2
    for i, (names, groups) in enumerate(ordered, 1):
        left = budget - used - reserve
        allowed = min(left, max(left // min(len(ordered) - i + 1, 8), 1500))
        if allowed < 400:
            out.append(more_clusters(len(ordered) - i + 1))
            break
        block = _cluster(i, list(names), groups, identities, stacks, allowed, hint)
        out += [block, ""]
        used += len(block) + 2
    return out


def _cluster(i: int, names: list[str], groups: list[ChangeGroupModel],
             identities: dict[str, Identity], stacks: dict[str, StackModel], budget: int,
             hint: str) -> str:
    if len(names) == 1 and names[0] in stacks:
        # One stack: its changes as they are (not normalized), collapsed like a file diff.
        head = f"<details><summary><code>{names[0]}</code></summary>\n"
        lines = _stack_lines(stacks[names[0]])
        body = take(lines, budget - len(head) - 20,
                    lambda n: f"- … and {n} more change(s) in this stack ({hint})")
        return head + "\n" + "\n".join(body) + "\n\n</details>"
    head = f"#### {i}. {len(names)} stacks: {groups[0].where}"
    # The changes first (a listing of at least 1,500 characters kept free), then the
    # listing of the stacks in what is left.
    body = take([_group_lines(g) for g in groups], budget - len(head) - 1600,
                lambda n: f"- … and {n} more change(s) in these stacks ({hint})")
    listing_budget = min(budget - len(head) - len("\n".join(body)) - 100, 12000)
    listing = _stack_list(names, identities, listing_budget, hint)
    return (head + "\n\n" + "\n".join(body) + f"\n\n<details><summary>the {len(names)} stacks"
            f"</summary>\n\n{listing}\n\n</details>")


# --------------------------------------------------------------------------- the whole

def render(review: ReviewModel, limit: int = COMMENT_LIMIT, json_out: str | None = None) -> str:
    hint = json_hint(json_out)
    room = limit - MARGIN
    out = ["## golden_path review", ""]
    if review.fired:
        out += [f"> [!CAUTION]\n> Policy gate failed: {', '.join(f'`{r}`' for r in review.fired)}",
                ""]
    out += ["### What you must not miss", ""]
    out += _must_not_miss(review, int(room * MUST_SHARE), hint)
    out += _checkov_line(review)
    out += ["", "### Summary", ""] + _summary(review, hint)
    if review.removed_stacks:
        out += ["", _names_line("Removed stacks, destroyed only by the explicit destroy step "
                                "(docs/ci.md: Removing a service): ", review.removed_stacks,
                                int(room * ORDER_SHARE) // 2, hint, ", ")]
    if review.imports:
        out += [""] + _imports(review, int(room * PLAN_SHARE), hint)
    if review.plans:
        out += [""] + _plans(review, int(room * PLAN_SHARE), hint)
    order = []
    if review.apply_order:
        n = len(review.apply_order)
        order = ["", _names_line(f"Apply order ({n} stacks, the only ones CI plans): ",
                                 review.apply_order, int(room * ORDER_SHARE) // 2, hint, " → ")]
    text = "\n".join(out)
    changes = _changes(review, room - len(text) - len("\n".join(order)) - 2, hint)
    if changes:
        text += "\n\n" + "\n".join(changes).rstrip("\n")
    if order:
        text += "\n" + "\n".join(order)
    if len(text) + 1 > limit:  # never expected: every section keeps to its share
        cut = text.rfind("\n", 0, limit - MARGIN)
        text = text[:cut] + f"\n\n_… the rest left out to stay under GitHub's {limit:,}-character " \
                            f"limit ({hint})._"
    return text + "\n"
