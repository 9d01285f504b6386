from django.urls import path

app_name = "metrics"

urlpatterns: list = []
