"""L2 constructs: one concern each, secure defaults, usable alone.

Each takes its inputs as keyword arguments and exposes every resource it
creates as a public attribute.
"""
