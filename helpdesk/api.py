"""API-wide pieces: the exception handler that keeps every error in the contract's shape."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Errors are `{"detail": ..., <field>: [...]}`; field errors also get a summary detail."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list):
        response.data = {"detail": " ".join(str(item) for item in data)}
    elif isinstance(data, dict) and "detail" not in data:
        fields = ", ".join(sorted(data))
        response.data = {"detail": f"Invalid input: {fields}.", **data}
    return response
