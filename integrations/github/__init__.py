"""GitHub's REST API: one client for commit statuses, comparisons, pull requests and branches."""
