"""warroom: the incident commander's desk."""

__version__ = "0.1.0"
