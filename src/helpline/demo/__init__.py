"""The demo organization: queues, campaign, supervisors, agents and their settings."""
