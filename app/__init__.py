"""kratom-cds: clinical decision support for kratom use disorder."""

__version__ = "0.1.0"
