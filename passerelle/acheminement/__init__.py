"""Where a message goes: routing now; delivery and deadlines as they come."""
