"""The landing page of each section: agent, supervisor, admin and analytics."""
