"""A strict Content-Security-Policy on demand, for the overlay's browser tests."""

STRICT_CSP = "default-src 'self'"
# A browser test sets this cookie to get the policy.
COOKIE = "strict-csp"


class StrictCSPMiddleware:
    """``Content-Security-Policy: default-src 'self'`` (no inline script or
    style anywhere) on the site's pages and on the admin's previews, when the
    request carries the :data:`COOKIE`. The rest of the admin is left alone:
    the tests are about what the overlay adds to pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if COOKIE in request.COOKIES and (
            not path.startswith("/admin/") or path.endswith("/preview/")
        ):
            response["Content-Security-Policy"] = STRICT_CSP
        return response
