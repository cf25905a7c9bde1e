"""Pages: pure component functions, one module per page."""
