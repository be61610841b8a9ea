"""The gunicorn entry point: ``gunicorn -k gevent -w 1 wsgi:app``.

gunicorn's gevent worker monkey-patches the standard library before it
imports this module, so the app is built on patched sockets.
"""

from engine import create_app

app = create_app()
