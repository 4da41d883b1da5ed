"""Alertmanager on the wire: a real Alertmanager (and Prometheus) notifying a loopback webhook."""
