"""Follow-up reports: the grant indicators (återrapportering), compensation, synthetic data."""
