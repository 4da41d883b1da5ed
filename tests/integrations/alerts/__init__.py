"""Tests of the alert webhook parsers: Alertmanager, Grafana and the generic format."""
