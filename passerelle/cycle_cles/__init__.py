"""The life of the gateway's own keys: rotation of the signing, at-rest and blind-index keys
(secrets file edits, background re-encryption and re-indexing, what each key is still used for)."""
