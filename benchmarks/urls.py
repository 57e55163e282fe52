"""The demo's URLs plus the no-op view the collect endpoint is compared with."""

from demo.urls import urlpatterns as demo_urlpatterns
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def noop(request):
    """What any Django view costs on the same server: read the body, answer 204."""
    request.read(4097)
    return HttpResponse(status=204)


urlpatterns = [path("bench/noop/", noop), *demo_urlpatterns]
