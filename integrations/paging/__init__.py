"""Paging on-call people: one Protocol (:mod:`.base`), one module per vendor.

- :mod:`.pagerduty` sends alert events to PagerDuty's Events API v2 (trigger, acknowledge,
  resolve), keyed by a dedup key Stationmaster derives from the alert group;
- :mod:`.pagerduty_webhook` reads PagerDuty's V3 webhooks (``incident.acknowledged``,
  ``incident.resolved``), so an acknowledgement made in PagerDuty shows in the Slack thread.
"""
