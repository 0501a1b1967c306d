"""passerelle — passerelle d'échanges sécurisés entre organismes de sécurité sociale."""

__version__ = "0.1.0"
