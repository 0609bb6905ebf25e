"""L3 constructs: whole services composed from the L2s."""
