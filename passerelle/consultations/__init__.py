"""Synchronous consultations (``POST /v1/consultations/{type}``): a question answered in the call.

Unlike a flux, nothing is stored but the journal: the caller asks, the destination's connector
answers, the gateway checks the answer against the type's model and returns it signed. Types
are declared in ``config/consultations.yaml`` and authorised by conventions under the flux name
``consultation:{type}``.
"""
