"""reconciler: a Terraform-style GitOps reconciler for Soda Cloud data contracts."""

try:
    # Written at build time (pip install, python -m build) from the git tag: a constant, so
    # `reconciler --version` costs no look-up of the installed distributions.
    from reconciler._version import __version__
except ImportError:  # a source tree that was never built, run with PYTHONPATH
    __version__ = "0.0.0"

__all__ = ["__version__"]
