"""The REST API under /api/: thin views over the same selectors and services as the pages."""
