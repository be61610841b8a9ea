"""Settings for every ``gunicorn`` started from the project root (it reads this file itself)."""


def post_request(worker, req, environ, resp):
    """Close the connection after a refused body rather than drain it.

    gunicorn reads an unread body to its end before the next request on the
    connection; a gevent socket with data waiting never yields, so draining
    100 MiB would block every other connection of the worker for seconds.
    """
    # gunicorn's own answers (a worker timeout's) carry no ``status_code``
    if getattr(resp, "status_code", None) == 413:
        req.force_close()
