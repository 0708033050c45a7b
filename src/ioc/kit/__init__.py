"""Cross-cutting services. Nothing here knows a domain word."""
