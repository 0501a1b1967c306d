"""Auditors: their accounts, what they may see, and the reconciliation of robot accesses.

An auditor is not an organisme: no key of the directory, no convention. It reads the journal,
within the organismes of its scope, and every one of its reads is itself a journal entry.
"""
