"""Conventions and the access decision: the only place where an exchange is allowed or denied."""
