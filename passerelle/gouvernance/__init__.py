"""Governance of the request/response flux: answer delays per organisme and per pivot.

The family branch reports its service indicators as delays ("85 % within 15 days"), quarterly,
per caisse and per mutualised service (FLUX.md § 6). The gateway already holds every case
(``dossiers``: opened, due, answered, late), so it measures those delays itself — the same pure
computation for the Prometheus metrics and for the quarterly report (docs/gouvernance.md).
"""
