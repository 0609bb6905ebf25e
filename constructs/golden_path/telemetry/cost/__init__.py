"""Telemetry volume and cost: what the policy keeps and drops, per service and for the fleet.

``corpus`` replays a service's rendered log rules over a sample log corpus (the
calibration; ``replay`` is what the runtime and the router's multiline filters make of
the lines first), ``model`` turns traffic assumptions, the policy and prices into volumes
and costs per signal and day, ``report`` prints them (``golden-path cost``), and
``review`` gives the per-day change a pull request makes (``golden-path review``).
Pure Python: no cdktf.
"""
