"""The cdktf app behind `make synth` (see cdktf.json): every service file under examples/.

Run by the real `cdktf synth`; it writes one stack per service and environment, and
one per team route (alert topics) that the services use, from examples/teams.yaml,
into the directory the CLI names (CDKTF_OUTDIR), taking unchanged stacks from the
synth cache.
Every file is loaded and checked before any construct is created, so a bad
file stops the synth with file:line messages and writes nothing.
"""

import os
import sys
from pathlib import Path

from golden_path import SpecError
from golden_path.fleet.state import local_state_warnings
from golden_path.synth import build_app, find_teams, load_all, synth

HERE = Path(__file__).resolve().parent


def main() -> int:
    try:
        teams = find_teams([HERE])  # examples/teams.yaml
        services = load_all([HERE], teams)
    except SpecError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2

    for message in local_state_warnings(services):
        print(f"golden-path: {message}", file=sys.stderr)

    if os.environ.get("SYNTH_HCL_OUTPUT") == "true":  # `cdktf synth --hcl`: no cache for HCL
        from golden_path.cdk import App

        app = App()
        build_app(app, services, teams)
        app.synth()
        return 0
    # Unchanged stacks come from the synth cache (README: Fast synth); GOLDEN_PATH_NO_CACHE=1
    # constructs every stack.
    synth(services, os.environ.get("CDKTF_OUTDIR", "cdktf.out"), teams,
          cache=os.environ.get("GOLDEN_PATH_NO_CACHE") != "1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
