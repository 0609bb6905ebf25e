"""The docs stay true to the code: the generated reference pages are current, every page is
in the site's nav, every link between pages (and from the README) resolves, with GitHub's
anchors, and the README stays the front door."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from golden_path.reference import PAGES, signals_by_kind

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
REGENERATE = "run `make docs` (it writes docs/reference/ from the code) and commit the pages"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_reference_page_is_what_the_code_generates(name):
    page = REFERENCE / name
    assert page.exists(), f"{page.relative_to(ROOT)} is missing: {REGENERATE}"
    assert page.read_text() == PAGES[name](), (
        f"{page.relative_to(ROOT)} differs from what the code generates: {REGENERATE}")


def test_the_emulator_gaps_page_is_what_the_harness_generates():
    import emulator

    page = REFERENCE / "emulator-gaps.md"
    assert page.exists() and page.read_text() == emulator.gaps_page(), (
        f"{page.relative_to(ROOT)} differs from GAPS in tests/emulator.py: {REGENERATE}")


def test_every_page_of_docs_reference_is_generated():
    assert {p.name for p in REFERENCE.glob("*.md")} == {*PAGES, "emulator-gaps.md"}


def test_the_default_alarms_page_lists_every_default_the_examples_get():
    """The page computes the defaults for a symbolic service of each kind; a default that
    needs an option the page does not turn on would be missing: compare with the alarms
    the example fleet really gets."""
    from golden_path.alerts.defaults import fargate_defaults, lambda_defaults
    from golden_path.fleet import load_all

    listed = signals_by_kind()
    for service in load_all([ROOT / "examples"]):
        compute = lambda_defaults if service.kind == "lambda" else fargate_defaults
        missing = {d.signal for d in compute(service)} - listed[service.kind]
        assert not missing, (f"{service.stack_name} gets default alarms the page does not list: "
                             f"{sorted(missing)}; add the option that adds them to _KINDS in "
                             "golden_path/reference/tables.py")


# ---- the site and the links -------------------------------------------------------------------


def _nav_pages(nav) -> list[str]:
    out = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        out += _nav_pages(value) if isinstance(value, list) else [value]
    return out


def _mkdocs() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml names a Python function for the anchors' slugs; no need to import it here.
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    nav = _nav_pages(_mkdocs()["nav"])
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages
    assert len(set(nav)) == len(nav)


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`|\*\*|<[^>]+>", "", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {github_slug(m[1]) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def links(page: Path) -> list[str]:
    return [m[1] for m in LINK.finditer(FENCE.sub("", page.read_text()))
            if not re.match(r"[a-z]+:", m[1])]


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_with_githubs_anchors(page):
    """mkdocs (strict, in .ci/run) checks the site's links and anchors; this checks them as
    GitHub renders the same files, and keeps docs/ links inside docs/ (a link out of
    docs/ has no target in the site)."""
    for link in links(page):
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.relative_to(ROOT)}: {link}: no such file"
        if page.is_relative_to(DOCS):
            assert path.is_relative_to(DOCS), (
                f"{page.relative_to(ROOT)}: {link}: links from docs/ stay in docs/; name a "
                "repository file as `code` instead")
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page.relative_to(ROOT)}: {link}: no such heading"


def test_every_docs_page_the_code_names_exists():
    """Messages, comments and templates point at docs pages by path: keep them there."""
    named = set()
    for folder in ("constructs", "templates", "examples", "tests", "benchmarks"):
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and f.suffix in {".py", ".j2", ".yaml", ".yml", ".json", ".txt"}:
                named |= set(re.findall(r"\bdocs/([a-z0-9/-]+\.md)", f.read_text(errors="ignore")))
    missing = sorted(n for n in named if not (DOCS / n).exists())
    assert not missing, f"named in the code but not in docs/: {missing}"


def test_the_readme_is_the_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    two = text.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in two.strip().splitlines()] == [["make", "synth"],
                                                                       ["make", "test"]]
    for page in DOCS.glob("*.md"):  # the map names every topic page
        assert f"docs/{page.name}" in text, f"README's map of docs/ misses {page.name}"
