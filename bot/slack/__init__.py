"""Slack: Block Kit builders, Bolt listeners, the delivery worker."""
