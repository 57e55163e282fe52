from django.http import JsonResponse
from django.template.response import TemplateResponse


def plain_view(request):
    """A Django view that Wagtail does not serve, using the template tag."""
    return TemplateResponse(request, "testapp/plain.html", {})


def plain_json(request):
    return JsonResponse({"ok": True})
