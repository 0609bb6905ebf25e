"""A team's own cdktf app on golden_path's fleet form (docs/python-api.md).

Run with the cdktf CLI from this folder: `cdktf synth` (cdktf.json names this file).
The fleet is the example one: ../platform.yaml (accounts, network, state backend, tags),
../teams.yaml (alert routes) and ../services/*.yaml.
"""

import sys
from pathlib import Path

from golden_path import ApplicationService, SpecError
from golden_path.cdk import App, AwsProvider, TerraformStack
from golden_path.synth import build_stacks, find_teams, load_all, plan_stacks

OWN_STACK = "price-api"  # the service this app puts in a stack of its own

FLEET = Path(__file__).resolve().parent.parent


def main() -> int:
    try:
        teams = find_teams([FLEET])                     # teams.yaml beside the services
        services = load_all([FLEET / "services"], teams)  # every file + the fleet checks
    except SpecError as err:
        print(err, file=sys.stderr)                     # file:line of every problem
        return 2

    app = App()
    # 1. Every service in every environment, each in its own stack made by golden_path
    #    (ServiceStack: provider pinned to the account, the platform's backend and tags),
    #    plus the team alert routes the services publish to (all of them, OWN_STACK too).
    plans = plan_stacks(services, teams)
    build_stacks(app, [p for p in plans if not p.service or p.service.spec.name != OWN_STACK],
                 teams)

    # 2. One service in a stack of the team's own, beside resources golden_path does not
    #    make. The stack needs an AWS provider in the service's region; ApplicationService
    #    adds what ServiceStack would: the platform's state backend (when the stack has
    #    none), the account pin and the platform's default tags (when the provider has none).
    for service in (s for s in services if s.spec.name == OWN_STACK):
        stack = TerraformStack(app, service.stack_name)   # price-api-<environment>
        AwsProvider(stack, "aws", region=service.region)
        api = ApplicationService(stack, "service", service, teams=teams)
        # Every resource is a public attribute, e.g. api.function.function (the
        # aws_lambda_function) or api.alarms; add the team's own resources to `stack` here.
        del api
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
