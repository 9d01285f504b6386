"""Template tag libraries of the whole site, wired in TEMPLATES' OPTIONS (not through an app)."""
