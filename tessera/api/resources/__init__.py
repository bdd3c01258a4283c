"""Endpoint handlers, one module per resource. Each handler is a blocking function taking a
``Call`` and returning the JSON body; the route table in ``tessera.api.routes`` declares them."""
