from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("events/", views.upcoming, name="list"),
    path("events/past/", views.past, name="past"),
    path("events/mine/", views.mine, name="mine"),
    path("events/calendar/", views.calendar_today, name="calendar_today"),
    path("events/calendar/<int:year>/<int:month>/", views.calendar_month, name="calendar"),
    path("events/new/", views.create, name="create"),
    path("events/feed/", views.feed_settings, name="feed_settings"),
    path("events/feed/<str:token>.ics", views.feed, name="feed"),
    path("events/<int:pk>/", views.detail_redirect, name="detail_short"),
    path("events/<int:pk>/event.ics", views.ics, name="ics"),
    path("events/<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("events/<int:pk>/edit/", views.edit, name="edit"),
    path("events/<int:pk>/publish/", views.publish, name="publish"),
    path("events/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("events/<int:pk>/manage/", views.manage, name="manage"),
    path("events/<int:pk>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("events/<int:pk>/checkin/", views.checkin, name="checkin"),
    path("events/<int:pk>/close-attendance/", views.close_attendance, name="close_attendance"),
    path("events/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("events/<int:pk>/<str:slug>/", views.detail, name="detail"),
]
