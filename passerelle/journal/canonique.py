"""RFC 8785 (JSON Canonicalization Scheme) bytes of a journal entry, quickly.

``rfc8785`` is the reference; it serialises in pure Python and cost a tenth of the accept
path's CPU. For the values journal entries hold — objects with ASCII keys, strings, integers
within the I-JSON range, booleans, null, lists — RFC 8785 is exactly the standard library's
compact ``json.dumps`` with sorted keys and no ASCII escaping: same key order (UTF-16 and
code-point order agree on ASCII), same string escapes (``\\b \\t \\n \\f \\r``, other controls
as lowercase ``\\u00xx``, nothing else), same integers. Anything else (a float, a non-ASCII
key, a huge integer, a lone surrogate) goes to ``rfc8785``, which decides or refuses. The tests
compare both on generated values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

_ENTIER_MAX = 2**53 - 1  # I-JSON (RFC 7493): beyond, rfc8785 refuses
_ENCODEUR = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonique(valeur: Any) -> bytes:
    """The RFC 8785 serialisation of ``valeur`` (UTF-8)."""
    if _simple(valeur):
        try:
            return _ENCODEUR.encode(valeur).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let the reference refuse it
            pass
    return rfc8785.dumps(valeur)


def _simple(valeur: Any) -> bool:
    genre = type(valeur)
    if genre is str or genre is bool or valeur is None:
        return True
    if genre is int:
        return -_ENTIER_MAX <= valeur <= _ENTIER_MAX
    if genre is dict:
        return all(type(cle) is str and cle.isascii() and _simple(v) for cle, v in valeur.items())
    if genre is list or genre is tuple:
        return all(_simple(v) for v in valeur)
    return False
