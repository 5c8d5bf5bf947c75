"""The reports as documents, shared by the CLI and the reporting service's web page."""
