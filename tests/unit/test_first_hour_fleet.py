"""The fleet of a new user's first hour (GitHub issue 20): three accounts (sandbox, staging,
production) in us-east-1, teams menu, orders and payments, and the user's four services: a
Django web app (menu-web, calling the webhook), a Celery worker (orders-worker, scaling on its
queue), a Node.js webhook function (payment-webhook) and a Python queue consumer
(orders-consumer, a function on its own SQS queue). Other test_first_hour_* modules build it
with ``first_hour_fleet`` and make the user's mistakes in it (the issue's items 1, 4, 5, 6)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from golden_path.cli import main
from golden_path.load.discover import discover

LB = "50dc6c495c0c9188/f2f7dc8efc522ab2"
ACCOUNTS = {"sandbox": "111111111111", "staging": "222222222222", "production": "333333333333"}


def _environment(env: str, account: str, code: str, state: bool = True) -> str:
    return textwrap.indent(textwrap.dedent(f"""\
        {env}:
          account: "{account}"
          vpc_id: vpc-0a1b2c3d4e5f6071{code}
          subnet_ids: [subnet-0a1b2c3d4e5f6000{code}]
          listeners:
            public:
              arn: arn:aws:elasticloadbalancing:us-east-1:{account}:listener/app/{env}/{LB}
              security_group_id: sg-0a1b2c3d4e5f60aa{code}
          telemetry:
            api_key_secret_arn: arn:aws:secretsmanager:us-east-1:{account}:secret:otlp-Zx81Qw
            config_bucket: cfg-{account}
          permissions_boundary: arn:aws:iam::{account}:policy/boundary
        """) + (f"  state: {{bucket: tfstate-{account}}}\n" if state else ""), "  ")


def platform_yaml(without_state: tuple[str, ...] = ()) -> str:
    return ("defaults:\n  region: us-east-1\n  ecs_cluster: main\n  telemetry:\n"
            "    endpoint: https://otlp.vendor.example.com\n    api_key_header: api-key\n"
            "environments:\n" + "".join(
                _environment(env, account, str(i), env not in without_state)
                for i, (env, account) in enumerate(ACCOUNTS.items(), 1)))


TEAMS = """\
teams:
  menu: {notify: {emails: [menu@example.com]}, pagerduty: {integration_url_secret: pd/menu}}
  orders: {notify: {emails: [orders@example.com]}, pagerduty: {integration_url_secret: pd/orders}}
  payments: {notify: {emails: [pay@example.com]}, pagerduty: {integration_url_secret: pd/payments}}
"""

ENVIRONMENTS = ("alerts: {runbook: https://runbooks.example.com/first-hour}\n"
                "environments:\n  sandbox: {}\n  staging: {}\n  production: {}\n")


def web(name: str = "menu-web", priority: int = 100, extra: str = "") -> str:
    return (f"name: {name}\nteam: menu\nkind: web\n"
            f"image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}:0.1.0\n"
            "cpu: 256\nmemory: 512\nport: 8000\n"
            f"load_balancer:\n  listener: public\n  priority: {priority}\n"
            f"  paths: [\"/{name}/*\"]\n" + extra + ENVIRONMENTS)


def worker(queue: str = "arn:aws:sqs:{region}:{account}:orders") -> str:
    return ("name: orders-worker\nteam: orders\nkind: worker\n"
            "image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-worker:0.1.0\n"
            "cpu: 256\nmemory: 512\ncommand: [\"python\", \"-m\", \"orders_worker\"]\n"
            f"scaling:\n  queue: {{arn: \"{queue}\", messages_per_task: 100}}\n" + ENVIRONMENTS)


def function(name: str, team: str, extra: str = "", language: str = "nodejs22.x",
             handler: str = "index.handler") -> str:
    return (f"name: {name}\nteam: {team}\nruntime: lambda\nlanguage: {language}\n"
            f"handler: {handler}\narchitecture: arm64\n"
            f"code:\n  s3: {{bucket: {team}-artifacts, key: {name}/{name}-0.1.0.zip}}\n"
            + extra + ENVIRONMENTS)


#: The user's fleet as it validates: what each test changes is its mistake.
SERVICES = {
    "menu-web": web(extra="calls:\n  - service: payment-webhook\n"),
    "orders-worker": worker(),
    "orders-consumer": function("orders-consumer", "orders", "triggers:\n  sqs: {batch_size: 10}\n",
                                language="python3.13", handler="orders_consumer.handler"),
    "payment-webhook": function("payment-webhook", "payments"),
}


def first_hour_fleet(root: Path, **services: str | None) -> Path:
    """platform.yaml and teams.yaml in ``root``, the service files in ``root/services``
    (``SERVICES``, with ``services`` replacing or, as None, removing some); returns root."""
    (root / "services").mkdir(parents=True, exist_ok=True)
    (root / "platform.yaml").write_text(platform_yaml())
    (root / "teams.yaml").write_text(TEAMS)
    for name, text in {**SERVICES, **services}.items():
        if text is not None:
            (root / "services" / f"{name}.yaml").write_text(text)
    return root


def line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)


def run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    """Exit code, stdout lines and stderr lines of one golden-path command."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_the_first_hour_fleet_validates(tmp_path, capsys):
    root = first_hour_fleet(tmp_path)
    code, out, err = run(capsys, "validate", str(root / "services"))
    assert (code, err) == (0, [])
    assert out[-1].startswith("fleet: 12 stacks, 3 calls between services")


def test_folders_that_hold_no_service_files_are_skipped(tmp_path):
    root = first_hour_fleet(tmp_path)
    for folder in (".github/workflows", "node_modules/pkg", "ci", ".venv/lib"):
        (root / folder).mkdir(parents=True)
        (root / folder / "x.yaml").write_text("on: push\n")
    assert sorted(p.name for p in discover([root])) == sorted(f"{n}.yaml" for n in SERVICES)
