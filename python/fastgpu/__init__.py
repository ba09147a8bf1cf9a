"""fastgpu: the Python client of a fastgpu GPU pool. Standard library only.

    from fastgpu import Client
    c = Client("http://127.0.0.1:7400", api_key)
    job = c.submit(["python3", "train.py"], gpus=0.5)
    c.wait(job["id"])
    print(c.logs(job["id"]))
"""

from .client import Client, TERMINAL_STATES
from .errors import (Conflict, FastgpuError, InvalidArgument, NotFound, NotSupported,
                     PermissionDenied, ResourceExhausted, ServerError, Timeout, Unauthenticated,
                     Unavailable)

__all__ = ["Client", "TERMINAL_STATES", "Conflict", "FastgpuError", "InvalidArgument", "NotFound",
           "NotSupported", "PermissionDenied", "ResourceExhausted", "ServerError", "Timeout",
           "Unauthenticated", "Unavailable"]
