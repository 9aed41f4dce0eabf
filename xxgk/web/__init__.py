"""xxgk's web application (``xxgk serve``): FastAPI pages and JSON API over the same Python functions as the CLI."""
