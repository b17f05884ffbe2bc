"""The yardstick: a minimal Flask app, served the same way as the blog in `make bench`."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Say hello: what gunicorn and Flask cost with no work at all."""
    return "Hello, World!"
