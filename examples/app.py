"""The cdktf app behind `make synth` (see cdktf.json): every service file under examples/.

Run by the real `cdktf synth`; it writes one stack per service and environment.
Every file is loaded and checked before any construct is created, so a bad
file stops the synth with file:line messages and writes nothing.
"""

import sys
from pathlib import Path

from golden_path import SpecError
from golden_path.synth import load_all

HERE = Path(__file__).resolve().parent


def main() -> int:
    try:
        services = load_all([HERE])
    except SpecError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2

    from golden_path.cdk import App
    from golden_path.l3.stack import ServiceStack

    app = App()
    for service in services:
        ServiceStack(app, service)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
