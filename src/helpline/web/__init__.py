"""The web application: wiring of routers, middleware, errors, static files and metrics."""
