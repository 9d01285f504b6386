from django.urls import path

from community.loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("me/points/", views.my_points, name="my_points"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("loyalty/manage/", views.manage, name="manage"),
]
