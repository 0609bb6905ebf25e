"""Findings in the telemetry configs a synth diff changes: the log floor, the noise
filters, masking and sampling, read from the collector's YAML and Fluent Bit's config."""

from __future__ import annotations

import re

import yaml

from .findings import Finding, _listed, before_after
from .synth_diff import StackDiff, unescape

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~5x faster


def _config(text: str | None) -> dict:
    if not text:
        return {}
    try:
        doc = yaml.load(unescape(text), Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


_TOP_KEY = re.compile(r"^[A-Za-z_][^:\n]*:", re.M)


def _processors(text: str | None, block: str | None) -> dict:
    """A config's ``processors``: from its block alone where it parses alone (a third of
    the text), else from the whole config."""
    if block is not None:
        parsed = _config(block)
        if isinstance(parsed.get("processors"), dict):
            return parsed["processors"]
    return _config(text).get("processors") or {}


def _processors_block(text: str | None) -> str | None:
    """The text of a YAML config's top-level ``processors:`` block (None when the text
    has no such line, e.g. a JSON config): where sampling, filters and masking live."""
    if not text:
        return None
    start = text.find("\nprocessors:")
    if start < 0:
        return None
    following = _TOP_KEY.search(text, start + len("\nprocessors:"))
    return text[start:following.start() if following else len(text)]


#: "# Log floor: info." (an incident override adds " INCIDENT OVERRIDE: ..." on the same line).
_FLOOR = re.compile(r"^# Log floor: (\w+)\.?", re.M)
_EXCLUDE = re.compile(r"^\s+Exclude\s+(\S+)\s+(.*?)\s*$", re.M)
_MASKED_KEYS = re.compile(
    r'delete_matching_keys\((\w+), "\(\?i\)\^\((.*)\)\$+"\)( where IsMap\(body\))?')


def _floor(text: str | None) -> str | None:
    found = _FLOOR.search(unescape(text or ""))
    return found.group(1) if found else None


def _masks(p: dict) -> tuple[set[str], set[str]]:
    """(masked keys, other masking statements) of a collector's processors."""
    keys, statements = set(), set()
    # Traces in transform/mask; logs in transform/mask_logs since 0.159 (the second file).
    groups = [group for name in ("transform/mask", "transform/mask_logs")
              for kind in ("log_statements", "trace_statements", "metric_statements")
              for group in (p.get(name) or {}).get(kind) or []]
    for st in (st for group in groups for st in group.get("statements", [])):
        found = _MASKED_KEYS.fullmatch(st)
        if found:
            keys |= {re.sub(r"\\+(.)", r"\1", k) for k in found.group(2).split("|")}
        else:
            statements.add(st)
    for action in ((p.get("attributes/mask") or {}).get("actions") or []):
        if isinstance(action, dict) and action.get("key"):
            statements.add(f"attribute {action['key']} ({action.get('action')})")
        else:
            statements.add(f"attributes {action}")
    return keys, statements


def _telemetry(d: StackDiff, address: str, attr: str) -> list[Finding]:
    b_text = d.base.get(address, {}).get(attr)
    a_text = d.head.get(address, {}).get(attr)
    found = []
    fb, fa = _floor(b_text), _floor(a_text)
    if fb != fa:
        found.append(Finding("log-filters-changed", d.name, address,
                             before_after("log floor: ", fb, fa)))
    if "fluent-bit" in str(d.head.get(address, d.base.get(address, {})).get("name", "")):
        def excludes(text: str | None) -> set[str]:
            return {f"{field} {pattern}" for field, pattern in _EXCLUDE.findall(unescape(text or ""))
                    if fb == fa or field != "level"}  # the level excludes follow the floor

        eb, ea = excludes(b_text), excludes(a_text)
        if eb != ea:
            found.append(Finding("log-filters-changed", d.name, address,
                                 _filters("Fluent Bit noise excludes", eb, ea)))
        return found
    blocks = _processors_block(b_text), _processors_block(a_text)
    if blocks[0] is not None and blocks[0] == blocks[1]:
        return found  # sampling, filters and masking live in the processors: unchanged
    pb, pa = (_processors(text, block) for text, block in zip((b_text, a_text), blocks,
                                                              strict=True))
    sb = (pb.get("probabilistic_sampler") or {}).get("sampling_percentage")
    sa = (pa.get("probabilistic_sampler") or {}).get("sampling_percentage")
    if sb != sa and (sb is not None or sa is not None):
        found.append(Finding("sampling-changed", d.name, address, f"traces kept: {sb} % -> {sa} %"))

    def conditions(p: dict) -> list[str]:
        noise = p.get("filter/noise") or {}
        # log_conditions (log.-prefixed paths) since collector 0.159; logs.log_record before.
        found = noise.get("log_conditions") or (noise.get("logs") or {}).get("log_record") or []
        return [c for c in found if fb == fa or not  # the severity conditions follow the floor
                c.removeprefix("log.").startswith("severity_number")]

    nb, na = conditions(pb), conditions(pa)
    if nb != na:
        found.append(Finding("log-filters-changed", d.name, address,
                             _filters(f"log filters: {len(nb)} -> {len(na)} conditions", set(nb),
                                      set(na))))
    (kb, mb), (ka, ma) = _masks(pb), _masks(pa)
    if pb and (kb - ka or mb - ma):
        parts = ([f"masked keys removed: {', '.join(sorted(kb - ka))}"] if kb - ka else []) + (
            [f"{len(mb - ma)} masking statement(s) removed: {_listed(mb - ma)}"] if mb - ma else [])
        found.append(Finding("masking-removed", d.name, address, "; ".join(parts)))
    return found


def _filters(what: str, before: set[str], after: set[str]) -> str:
    parts = ([f"added {_listed(after - before)}"] if after - before else []) + (
        [f"removed {_listed(before - after)}"] if before - after else [])
    return f"{what}; {'; '.join(parts)}" if parts else f"{what}; reordered"
