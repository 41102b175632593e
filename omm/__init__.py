"""omm package."""
