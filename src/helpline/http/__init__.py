"""What every domain's ``api.py`` and ``pages.py`` share: dependencies, templates, errors."""
