from django.urls import path

from community.forum import views

app_name = "forum"

urlpatterns = [
    path("", views.latest, name="latest"),
]
