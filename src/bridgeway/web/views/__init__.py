"""HTML views: thin adapters over the domain's selectors and services.

Each module is one area of the interface. A view parses the request, calls ONE selector or
service, and turns domain errors into HTTP: ``NotFound`` -> 404 (a record the user may not
see is indistinguishable from one that does not exist), ``NotAllowed`` -> 403,
``ValidationFailed`` -> the same form again with every message next to its field and
everything typed kept, ``Conflict`` -> the conflict screen.
"""
