"""Data catalog: funding types for the Parquet catalog, the instrument registry, generators and loaders."""

from catalog.funding import FundingPayment
from catalog.funding import register_funding_types

register_funding_types()

__all__ = ["FundingPayment", "register_funding_types"]
