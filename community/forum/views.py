from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def latest(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/latest.html", {"nav": "forum"})
