"""WSGI entry point used by `cargo xtask loadbench` to serve upstream
RefStack 2.1.0 under gunicorn (the same factory as refstack's app.wsgi).

The oslo config file comes from the REFSTACK_OSLO_CONFIG environment
variable, which the load benchmark sets.
"""
from refstack.api import app
from refstack.api import config

application = app.setup_app(config)
