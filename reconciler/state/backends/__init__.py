"""The remote homes of a state, each behind :class:`reconciler.state.backend.StateBackend`.

    postgres   a row per project and environment; an advisory lock that ends with its session
    s3         an object written with If-Match / If-None-Match; a lock object beside it

Each module imports its client library (psycopg, boto3) at the top, so importing it is
the check that its extra is installed; :func:`reconciler.state.backend.open_backend` says
which extra to install when it is not.
"""
