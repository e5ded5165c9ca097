"""reconciler: a Terraform-style GitOps reconciler for Soda Cloud data contracts."""

__version__ = "0.1.0"
