"""Loading: service files, platform.yaml and teams.yaml -> specs with provenance."""
