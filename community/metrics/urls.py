from django.urls import path

from community.metrics import views

app_name = "metrics"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/definitions/", views.definitions, name="definitions"),
    path("dashboard/export/<slug:slug>.csv", views.export, name="export"),
    path("dashboard/at-risk/", views.at_risk_action, name="at_risk_action"),
    path("dashboard/message/<int:pk>/", views.message_member, name="message"),
]
