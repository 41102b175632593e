"""User monitoring (UMO): per-user opt-in watch of a user's DECT phone (features.md §2.9 "User
monitoring", seed 000 "User Monitoring", AXI UserMonitoringType and PPUserType's states)."""
