__version__ = "0.1.0"

#: ecf's distribution name on the package index; the import package is ``ecf`` (``ecf`` on the
#: index is an unrelated project).
DISTRIBUTION = "ecf-social-work"
