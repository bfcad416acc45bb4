"""Test URLconf: the real one plus a toy page and a toy API router, scoped the product's way."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import Router, Schema

from clientela.core.api import api
from clientela.core.permissions import get_visible_or_404
from clientela.core.tests.toy.models import ToyRecord

router = Router(tags=["toy"])


class ToyOut(Schema):
    id: int
    title: str


@router.get("/toy-records", response=list[ToyOut])
def toy_list_api(request):
    return list(ToyRecord.objects.visible_to(request.user).order_by("id"))


@router.get("/toy-records/{pk}", response=ToyOut)
def toy_detail_api(request, pk: int):
    return get_visible_or_404(ToyRecord.objects.all(), request.user, pk=pk)


api.add_router("/", router)

from clientela.urls import urlpatterns as product_urlpatterns  # noqa: E402


@login_required
def toy_list_page(request: HttpRequest) -> HttpResponse:
    titles = ToyRecord.objects.visible_to(request.user).values_list("title", flat=True)
    return HttpResponse("\n".join(titles), content_type="text/plain")


@login_required
def toy_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(get_visible_or_404(ToyRecord.objects.all(), request.user, pk=pk).title)


urlpatterns = [
    path("toy/", toy_list_page),
    path("toy/<int:pk>/", toy_detail_page),
    *product_urlpatterns,
]
