"""The routes, one module per kind."""
