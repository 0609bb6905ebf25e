"""Whole log records: the router joins what the runtime split at 16 KiB and each stack
trace's lines (docs/log-router.md), before the JSON parser and the greps.

Counted record by record with tests/pipeline.py, which replays the rendered config
(and the rendered parsers file) in Python; Fluent Bit's built-in parsers' rules are
copied there from fluent-bit v4.2.2. "Before" is the same config without its
multiline filters, i.e. the router as it was.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from golden_path import ServiceSpec, SpecError, resolve
from golden_path.telemetry.cost.corpus import default_corpus
from golden_path.telemetry.render import (
    APP_TAG,
    MULTILINE_PARSERS,
    PARSERS_TEXT,
    render_router_config,
)
from golden_path.telemetry.render_check import (
    ConfigCheckError,
    check_fluent_bit_config,
    check_parsers_text,
    parse_fluent_bit,
)
from pipeline import BUILTIN_MULTILINE_RULES, fluent_bit_lines, fluent_bit_stream


def router(spec: dict, language: str | None = "python", env: str = "production") -> str:
    spec = {**spec, "environment": env}
    if language is not None:
        spec["language"] = language
    if env == "production":
        spec["scaling"] = {"min": 2}
    return render_router_config(resolve(ServiceSpec.parse(spec)))


def without_multiline(text: str) -> str:
    """The same config without its multiline filters: the router before this change."""
    out = []
    for name, entries in parse_fluent_bit(text):
        if name == "FILTER" and dict((k.lower(), v) for k, v in entries)["name"] == "multiline":
            continue
        out += [f"[{name}]"] + [f"    {k} {v}" for k, v in entries] + [""]
    return "\n".join(out)


def records(config: str, lines: list[str]) -> list[str]:
    """The body of each record the router ships or drops, in order."""
    return [r.get("message", r.get("log", "")) for r, _ in fluent_bit_lines(config, lines)]


def section(kind: str, language: str | None) -> list[str]:
    """The lines of one section of the default corpus."""
    corpus = default_corpus()
    return [line for k, lang, lines in corpus.sections if (k, lang) == (kind, language)
            for line in lines]


# ---- the rendered config -------------------------------------------------------------------

@pytest.mark.parametrize("language", ["python", "node", "java", "go", "other"])
def test_joins_come_first_with_the_parser_of_the_language(web, language):
    text = router(web, language)
    filters = [dict((k.lower(), v) for k, v in e) for n, e in parse_fluent_bit(text) if n == "FILTER"]
    partial, *rest = filters
    assert (partial["name"], partial["mode"], partial["multiline.key_content"]) == (
        "multiline", "partial_message", "log")
    parser = MULTILINE_PARSERS[language]
    if parser:
        stack, *rest = rest
        assert (stack["name"], stack["multiline.parser"], stack["multiline.key_content"],
                stack["buffer"]) == ("multiline", parser, "log", "on")
    # then the JSON parser and everything else: no other multiline filter
    assert rest[0]["name"] == "parser" and all(f["name"] != "multiline" for f in rest)


def test_language_defaults_to_python_and_is_checked(web):
    assert ServiceSpec.parse(dict(web)).language == "python"
    with pytest.raises(SpecError) as err:
        ServiceSpec.parse({**web, "language": "ruby"})
    assert err.value.field == "language"


def test_no_health_check_endpoint_no_filesystem_buffer(web):
    """/api/v1/uptime is always served; /api/v1/health only with Health_Check On, and it
    fails as soon as the output fails. FireLens's input is memory-buffered: no storage.*."""
    text = router(web)
    service = dict(parse_fluent_bit(text)[0][1])
    assert service["Health_Check"] == "Off" and service["HTTP_Server"] == "On"
    assert "storage." not in text.replace("# ", "")
    output = dict(next(e for n, e in parse_fluent_bit(text) if n == "OUTPUT"))
    assert output["Retry_Limit"] == "10"


def test_emitter_limits_follow_the_router_memory(web):
    """FireLens: Mem_Buf_Limit = memoryReservation / 2 (16 MB for the 64 MiB router); the
    trace emitter gets half of that, the partial emitter a quarter: inputs 16 + 8 + 4 MB,
    twice that (AWS's OOM estimate) 56 MiB under the router's 64 MiB."""
    limits = {dict(e).get("emitter_name"): dict(e).get("emitter_mem_buf_limit")
              for n, e in parse_fluent_bit(router(web)) if n == "FILTER"}
    assert limits == {"joined_partials": "4M", "joined_traces": "8M", None: None}
    web["sidecars"] = {"log_router": {"memory": 256}}
    limits = {dict(e).get("emitter_name"): dict(e).get("emitter_mem_buf_limit")
              for n, e in parse_fluent_bit(router(web)) if n == "FILTER"}
    assert limits["joined_traces"] == "32M" and limits["joined_partials"] == "16M"


def test_parsers_file_survives_telemetry_inits_printf(tmp_path):
    """telemetry-init writes it with printf '<text>' (newlines as \\n): no backslash, % or '."""
    check_parsers_text(PARSERS_TEXT)
    escaped = PARSERS_TEXT.replace("\n", "\\n")
    out = tmp_path / "parsers.conf"
    subprocess.run(["sh", "-c", f"printf '{escaped}' > {out}"], check=True)
    assert out.read_text() == PARSERS_TEXT
    assert set(check_parsers_text(PARSERS_TEXT)) == {"golden_python", "golden_node"}


@pytest.mark.parametrize(("bad", "message"), [
    (PARSERS_TEXT.replace("[(]most", "\\(most"), "printf would change"),
    (PARSERS_TEXT.replace('"python_chain"\n', '"nowhere"\n'), "to_state nowhere"),
    (PARSERS_TEXT.replace("/^ /", "/^ (/"), "bad regex"),
])
def test_broken_parsers_file_is_refused(bad, message):
    with pytest.raises(ConfigCheckError, match=message.replace("(", r"\(")):
        check_parsers_text(bad)


def test_a_join_after_the_json_parser_is_refused(web):
    text = router(web)
    blocks = text.split("\n\n")
    trace = next(b for b in blocks if "joined_traces" in b)
    moved = text.replace(trace + "\n\n", "").replace("[OUTPUT]", trace.split("\n", 2)[-1] + "\n\n[OUTPUT]")
    with pytest.raises(ConfigCheckError, match="filter order"):
        check_fluent_bit_config(moved, APP_TAG, PARSERS_TEXT)
    unknown = text.replace("multiline.parser       golden_python", "multiline.parser       perl")
    with pytest.raises(ConfigCheckError, match="perl is neither built in"):
        check_fluent_bit_config(unknown, APP_TAG, PARSERS_TEXT)


# ---- records per stack trace, before and after ---------------------------------------------

DJANGO_CHAINED = """\
Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/django/db/backends/utils.py", line 105, in _execute
    return self.cursor.execute(sql, params)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
psycopg.errors.UniqueViolation: duplicate key value violates unique constraint "orders_order_pkey"

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/storefront/orders/views.py", line 88, in create
    order.save()
  File "/usr/local/lib/python3.12/site-packages/django/db/models/base.py", line 822, in save
    self.save_base(
django.db.utils.IntegrityError: duplicate key value violates unique constraint "orders_order_pkey"
""".splitlines()

JAVA = """\
2026-11-25T10:03:51.719Z ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[dispatcherServlet] : Servlet failed
java.lang.IllegalStateException: price lookup failed
\tat com.example.shop.PriceClient.get(PriceClient.java:51)
\tat com.example.shop.ProductController.show(ProductController.java:80)
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.connect0(Native Method)
\t... 42 more
""".splitlines()

GO = """\
panic: runtime error: index out of range [3] with length 3

goroutine 1 [running]:
main.priceOf(...)
\t/app/prices.go:42 +0x1d
main.main()
\t/app/main.go:17 +0x25
exit status 2
""".splitlines()

JSON_LINE = json.dumps({"levelname": "ERROR", "message": "payment failed: Error: card declined"})


@pytest.mark.parametrize(("language", "lines", "before", "after"), [
    # gunicorn's error line, then a Python 3.12 traceback (11 lines, ^^^ markers included)
    ("python", section("web", "python"), 12, 2),
    # Celery's task-failure line, then its traceback (13 lines)
    ("python", section("worker", "python"), 14, 2),
    # a chained exception (Django wrapping psycopg): two tracebacks and the chain, one record
    ("python", DJANGO_CHAINED, 14, 1),
    # a Node.js error, its frames, its [cause] with properties, the closing brace
    ("node", section("web", "node"), 10, 1),
    # Spring's log line (its own record), the exception, frames, Caused by, ... 42 more
    ("java", JAVA, 7, 2),
    # a Go panic and its goroutine dump; "exit status 2" is not part of it
    ("go", GO, 8, 2),
])
def test_records_per_stack_trace_before_and_after(web, language, lines, before, after):
    config = router(web, language, env="sandbox")
    assert len(records(without_multiline(config), lines)) == before
    joined = records(config, lines)
    assert len(joined) == after
    # nothing lost, nothing reordered: the joined records hold every line, in order
    assert "\n".join(joined).split("\n") == lines


def test_python_traceback_is_one_record_with_the_header_apart(web):
    lines = section("web", "python")
    header, traceback = records(router(web, env="sandbox"), lines)
    assert header == lines[0] and traceback == "\n".join(lines[1:])


def test_fluent_bits_builtin_python_parser_cuts_at_python_311_markers(web):
    """Why golden_python: the built-in parser (v4.2.2 flb_ml_parser_python.c) has no rule
    for the ^^^^ line after a frame's code, so the record ends there, and the frames after
    come without the first line's keys; chained exceptions are cut too."""
    config = router(web, env="sandbox").replace("golden_python", "python")
    assert len(BUILTIN_MULTILINE_RULES["python"]) == 4
    lines = section("web", "python")
    out = fluent_bit_lines(config, lines)
    assert len(out) == 8  # vs 2 with golden_python
    # the frames after a ^^^ line: only the joined text, the runtime's keys ("source") lost
    assert [r["message"].split("\n")[0].strip()[:4] for r, _ in out if set(r) == {"message"}] == [
        "File", "File", "KeyE"]
    assert all("source" in r for r, _ in fluent_bit_lines(router(web, env="sandbox"), lines))
    assert len(records(config, DJANGO_CHAINED)) == 7  # vs 1


def test_fluent_bits_java_parser_is_no_node_parser(web):
    """Its start rule needs a character before "Error": a bare "Error: ..." starts nothing."""
    config = router(web, "node", env="sandbox").replace("golden_node", "java")
    assert len(records(config, section("web", "node"))) == 9  # vs 1 with golden_node


def test_a_json_line_never_continues_a_stack_trace(web):
    """Whatever state a trace is in, the next JSON line is a record of its own, parsed."""
    for language, lines in [("python", section("web", "python")), ("node", section("web", "node")),
                            ("java", JAVA), ("go", GO)]:
        config = router(web, language, env="sandbox")
        for cut in range(1, len(lines) + 1):
            out = fluent_bit_lines(config, lines[:cut] + [JSON_LINE])
            last, _ = out[-1]
            assert last.get("level") == "ERROR", (language, cut)
            assert last["message"] == "payment failed: Error: card declined"


def test_json_lines_stay_one_record_each(web):
    lines = [json.dumps({"levelname": "WARNING", "message": f"slow query {i}"}) for i in range(3)]
    lines.insert(1, "Traceback (most recent call last):")
    out = fluent_bit_lines(router(web, env="sandbox"), lines)
    assert [r.get("level") for r, _ in out] == ["WARNING", None, "WARNING", "WARNING"]


# ---- lines the runtime split at 16 KiB -------------------------------------------------------

BIG = json.dumps({"levelname": "INFO", "message": "cart 1 contents", "items": "x" * 40_000})


@pytest.mark.parametrize("language", ["python", "other"])
def test_a_40_kb_line_is_three_partials_then_one_record(web, language):
    config = router(web, language, env="sandbox")
    before = fluent_bit_lines(without_multiline(config), [BIG])
    assert [len(r["message"].encode()) for r, _ in before] == [16_384, 16_384, len(BIG) - 32_768]
    assert [r["partial_ordinal"] for r, _ in before] == ["1", "2", "3"]
    ((record, kept),) = fluent_bit_lines(config, [BIG])
    assert kept and record["items"] == "x" * 40_000 and record["level"] == "INFO"
    assert not any(k.startswith("partial_") for k in record)


def test_a_split_json_line_escapes_the_floor_until_joined(web):
    """Production floor warn: the INFO line's pieces are not JSON, have no level, and were
    all kept (3 records billed); joined, it is parsed and dropped."""
    config = router(web)
    assert [kept for _, kept in fluent_bit_lines(without_multiline(config), [BIG])] == [True] * 3
    assert [kept for _, kept in fluent_bit_lines(config, [BIG])] == [False]


def test_exactly_16_kib_ends_with_an_empty_partial(web):
    line = "y" * 16_384
    config = router(web, "other", env="sandbox")
    assert len(fluent_bit_lines(without_multiline(config), [line])) == 2
    ((record, _),) = fluent_bit_lines(config, [line])
    assert record["message"] == line


def test_lone_records_pass_the_joins_unchanged(web):
    config = router(web, env="sandbox")
    out = fluent_bit_stream(config, [{"log": "plain line"}, {"log": JSON_LINE}])
    assert [r.get("message") for r, _ in out] == ["plain line", "payment failed: Error: card declined"]


@pytest.mark.parametrize("kind", ["web", "worker"])
def test_new_writes_the_language_of_its_scaffold(tmp_path, kind):
    """`golden-path new` scaffolds a Django web service or a Celery worker: python."""
    import yaml

    from conftest import ROOT
    from golden_path.load.platform import load_platform
    from golden_path.scaffold import new_service

    platform = load_platform(ROOT / "examples" / "platform.yaml")
    path = new_service("shop-api", team="checkout", kind=kind, platform=platform, out_dir=tmp_path)
    assert yaml.safe_load(path.read_text())["language"] == "python"
    assert "language: python   # python | node | java | go | other" in path.read_text()
