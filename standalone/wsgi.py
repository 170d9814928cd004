"""The WSGI application: ``gunicorn parrain.standalone.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parrain.standalone.settings")
application = get_wsgi_application()
