"""Simulated caisse systems, for the demonstration (``passerelle demo``) and end-to-end tests.

Each is a separate process that speaks to the gateway over HTTP with real RFC 9421 signatures,
as a caisse's own system would:

* :mod:`connecteurs.simulateurs.caf` — the CAF de la Loire: a few hundred fictional AAH/RSA
  allocataires, monthly ``rdc`` batches and single ``passage-retraite`` signals; it **pulls**
  its inbox (``GET /v1/boite``) and acknowledges each answer;
* :mod:`connecteurs.simulateurs.carsat` — the Carsat Rhône-Alpes: an HTTPS receiver the gateway
  **pushes** to (``POST /messages/{id}``, contract of ``docs/connecteurs.md``) that answers
  ``rdc`` with ``cloture-rdc`` and ``passage-retraite`` with ``avis-depot`` then
  ``notification-retraite``.

Nothing here is imported by the gateway.
"""
