from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/profile/", views.profile_edit, name="profile_edit"),
    path("account/avatar/", views.avatar, name="avatar"),
    path("account/preferences/", views.preferences, name="preferences"),
    path("account/export/", views.export, name="export"),
    path("account/delete/", views.delete, name="delete"),
    path("u/<str:handle>/", views.profile, name="profile"),
    path("members/<int:pk>/", views.profile_by_id, name="profile_by_id"),
    path("language/", views.set_language, name="set_language"),
]
