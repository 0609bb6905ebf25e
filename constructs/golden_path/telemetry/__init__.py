"""Telemetry sidecars: pinned images, reserved ports, rendered configs."""
