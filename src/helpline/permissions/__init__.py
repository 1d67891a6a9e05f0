"""The organization's permission matrix (admin guide: Settings → Permissions)."""
