"""gentrack: the Python client of the gentrack generation-request tracker.

    from gentrack import Client
    client = Client("https://gen.example.com", key="gtk_...")
    req = client.create("problem", 5, subject_key="topic-42")
    done = client.wait(req.request_id, timeout=600)

Standard library only. ``Client`` (blocking), ``AsyncClient`` (asyncio, the
blocking client in a thread), ``Worker`` (serves requests with a Python
function), the dataclasses of the resources, and the exceptions.
"""

import logging

from .client import AsyncClient, Client
from .errors import (Conflict, GentrackError, Invalid, NotFound, RateLimited, Unauthorized,
                     Unavailable)
from .models import TERMINAL, ClaimedRequest, Entity, GenerationRequest
from .worker import Worker

__all__ = ["Client", "AsyncClient", "Worker", "GenerationRequest", "ClaimedRequest", "Entity",
           "TERMINAL", "GentrackError", "Conflict", "Invalid", "NotFound", "RateLimited",
           "Unauthorized", "Unavailable"]
__version__ = "0.1.0"

# A library logs, the application decides where to (logging.basicConfig()).
logging.getLogger("gentrack").addHandler(logging.NullHandler())
