"""Property-based fuzzing of specs: any mutation of a valid file is a clean SpecError or valid.

Every example spec (fleet form, single-environment form) and platform.yaml is mutated at random
paths: values swapped for other types, keys removed, unknown keys added, huge numbers, unicode
and control characters, empty strings, nested nulls. Loading and resolving the result must
either succeed or raise a ``SpecError`` whose every problem names a field and gives a hint;
any other exception is a bug in golden_path. Each property runs once with a fixed seed (the
same examples in every CI run) and once with a fresh seed, printed on failure
(``GOLDEN_PATH_FUZZ_SEED=N`` reruns it). No cdktf here: only loading and resolving.
"""

from __future__ import annotations

import copy
import os
import random
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, event, given, note, seed, settings
from hypothesis import strategies as st

from golden_path.errors import SpecError
from golden_path.fleet import resolve_located
from golden_path.load.platform import load_platform
from golden_path.load.service_file import expand, parse_service
from golden_path.load.yaml_source import read_yaml

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_FILE = ROOT / "examples" / "platform.yaml"
FLEET_FILES = sorted((ROOT / "examples" / "services").glob("*.yaml"))
SINGLE_FILES = sorted((ROOT / "tests" / "fixtures" / "single-environment").glob("*/*.yaml"))
PLATFORM = load_platform(PLATFORM_FILE)
FLEET = [(str(f.relative_to(ROOT)), *read_yaml(f)) for f in FLEET_FILES]
SINGLE = [(str(f.relative_to(ROOT)), read_yaml(f)[0]) for f in SINGLE_FILES]
PLATFORM_DATA = read_yaml(PLATFORM_FILE)[0]

FIXED_SEED = 20261126
FRESH_SEED = int(os.environ.get("GOLDEN_PATH_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
SEEDS = (f"seeds: fixed {FIXED_SEED}, fresh {FRESH_SEED} "
         f"(a *_fresh_seed failure reruns with GOLDEN_PATH_FUZZ_SEED={FRESH_SEED})")

#: Examples per test; the total (>= 5,000) runs in well under a minute on two cores.
SERVICE_EXAMPLES, SINGLE_EXAMPLES, PLATFORM_EXAMPLES = (
    int(n) for n in os.environ.get("GOLDEN_PATH_FUZZ_EXAMPLES", "2000,700,600").split(","))
FUZZ = settings(deadline=None, database=None, derandomize=False, print_blob=True,
                phases=(Phase.generate, Phase.target, Phase.shrink),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def test_the_inputs_are_valid():
    """The mutations start from files that load and resolve."""
    assert FLEET and SINGLE
    for file, data, lines in FLEET:
        for spec in expand(data, lines, file, PLATFORM):
            resolve_located(spec)
    for _, data in SINGLE:
        resolve_located(parse_service(data))


# -- what replaces a value ------------------------------------------------------------------

_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),  # any unicode, controls too
    st.sampled_from(["", " ", "\x00", "\t\n", "\u202e", "\ufeff", "é", "🙂", "-1", "0x10", "1e400",
                     "true", "null", "~", "${x}", "{account}", "{nope}", "a" * 300, "*", "arn:aws:"]),
)
_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63), 10**30, 2**1000]),
    st.floats(allow_nan=True, allow_infinity=True),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXT)
_JUNK = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=6,
)
_NESTED_NULLS = st.recursive(st.none(), lambda inner: st.one_of(
    st.lists(inner, min_size=1, max_size=2), st.dictionaries(_TEXT, inner, min_size=1, max_size=2)),
    max_leaves=3)
_SAME_TYPE = {
    bool: st.booleans(),
    int: st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30, 2**1000])),
    float: st.floats(allow_nan=True, allow_infinity=True),
    str: _TEXT,
    list: st.lists(_SCALARS, max_size=4),
}
_KEYS = st.one_of(_TEXT, st.sampled_from(["environments", "environment", "runtime", "kind", "name",
                                          "production", "sandbox", "staging", "listener", "cpu"]))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _at(node, path):
    for part in path:
        node = node[part]
    return node


def mutate(draw, doc, min_mutations=1, max_mutations=4):
    """``doc`` (a copy) with a few random structural mutations; the root may be replaced."""
    doc = copy.deepcopy(doc)
    count = draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4]))  # mostly one: the rest of the file stays valid
    for _ in range(min(max(count, min_mutations), max_mutations)):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        target = _at(doc, path)
        operation = draw(st.sampled_from(
            ["replace", "replace", "same type", "same type", "nulls", "remove", "add", "duplicate", "empty"]))
        if operation == "add" and isinstance(target, dict):
            target[draw(_KEYS)] = draw(_JUNK)
            continue
        if operation == "add" and isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), draw(_JUNK))
            continue
        if operation == "duplicate" and path:
            new = copy.deepcopy(draw(st.sampled_from([_at(doc, p) for p in paths])))
        elif operation == "same type":  # passes the type check, reaches the deeper ones
            new = draw(_SAME_TYPE.get(type(target), _JUNK))
        elif operation == "nulls":
            new = draw(_NESTED_NULLS)
        elif operation == "empty":
            new = type(target)() if isinstance(target, (str, list, dict)) else draw(st.sampled_from(["", 0]))
        else:
            new = draw(_JUNK)
        if not path:
            doc = new
        else:
            parent = _at(doc, path[:-1])
            if operation == "remove":
                del parent[path[-1]]
            else:
                parent[path[-1]] = new
    return doc


def _check(err: SpecError) -> None:
    event("SpecError")
    assert err.problems
    for problem in err.problems:
        assert isinstance(problem.field, str) and problem.field, problem
        assert isinstance(problem.hint, str) and problem.hint.strip(), problem
        str(problem)  # printable, whatever the value


def load_and_resolve(data, lines, file, platform):
    """The property: the specs resolve, or a clean SpecError; anything else propagates."""
    try:
        specs = expand(data, lines, file, platform)
    except SpecError as err:
        _check(err)
        return
    for spec in specs:
        try:
            resolve_located(spec)
            event("resolved")
        except SpecError as err:
            _check(err)


# -- the properties ---------------------------------------------------------------------------


@st.composite
def mutated_fleet_file(draw):
    file, data, lines = draw(st.sampled_from(FLEET))
    return file, mutate(draw, data), lines


def _fleet(case):
    file, data, lines = case
    note(f"file {file}; {SEEDS}")
    load_and_resolve(data, lines, file, PLATFORM)


@seed(FIXED_SEED)
@settings(FUZZ, max_examples=SERVICE_EXAMPLES)
@given(mutated_fleet_file())
def test_mutated_fleet_files_fixed_seed(case):
    _fleet(case)


@seed(FRESH_SEED)
@settings(FUZZ, max_examples=SERVICE_EXAMPLES)
@given(mutated_fleet_file())
def test_mutated_fleet_files_fresh_seed(case):
    _fleet(case)


@st.composite
def mutated_single_file(draw):
    file, data = draw(st.sampled_from(SINGLE))
    return file, mutate(draw, data)


def _single(case):
    file, data = case
    note(f"file {file}; {SEEDS}")
    try:
        spec = parse_service(data)
    except SpecError as err:
        _check(err)
        return
    try:
        resolve_located(spec)
        event("resolved")
    except SpecError as err:
        _check(err)


@seed(FIXED_SEED)
@settings(FUZZ, max_examples=SINGLE_EXAMPLES)
@given(mutated_single_file())
def test_mutated_single_environment_files_fixed_seed(case):
    _single(case)


@seed(FRESH_SEED)
@settings(FUZZ, max_examples=SINGLE_EXAMPLES)
@given(mutated_single_file())
def test_mutated_single_environment_files_fresh_seed(case):
    _single(case)


@st.composite
def mutated_platform(draw):
    return mutate(draw, PLATFORM_DATA, max_mutations=3)


def _platform(data):
    note(SEEDS)
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        assume(False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "platform.yaml")
        path.write_text(text, encoding="utf-8")
        try:
            platform = load_platform(path)
        except SpecError as err:
            _check(err)
            return
    # A platform that loads must serve the example services: resolve them, or a clean SpecError.
    for file, service, lines in FLEET[:2]:
        load_and_resolve(service, lines, file, platform)


@seed(FIXED_SEED)
@settings(FUZZ, max_examples=PLATFORM_EXAMPLES)
@given(mutated_platform())
def test_mutated_platform_fixed_seed(data):
    _platform(data)


@seed(FRESH_SEED)
@settings(FUZZ, max_examples=PLATFORM_EXAMPLES)
@given(mutated_platform())
def test_mutated_platform_fresh_seed(data):
    _platform(data)


# -- the CLI on a bug in golden_path ------------------------------------------------------------


def test_cli_reports_an_internal_error_in_one_line(monkeypatch, capsys):
    from golden_path import cli
    from golden_path.fleet import loader

    def broken(*args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr(loader, "load_fleet", broken)
    monkeypatch.delenv("GOLDEN_PATH_DEBUG", raising=False)
    assert cli.main(["validate", "examples/"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert err.startswith("golden-path: internal error while running validate on examples/: KeyError: 'x'")
    assert "report this as a bug to the platform team" in err


def test_cli_debug_reraises(monkeypatch):
    from golden_path import cli
    from golden_path.fleet import loader

    def broken(*args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr(loader, "load_fleet", broken)
    monkeypatch.setenv("GOLDEN_PATH_DEBUG", "1")
    with pytest.raises(KeyError):
        cli.main(["validate", "examples/"])
