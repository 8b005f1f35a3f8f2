"""Reports built from the read models: figures for people, the self-contained KPI page."""
