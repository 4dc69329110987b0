from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.training_year, name="year"),
    path("plan/", views.training_plan, name="plan"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="attendance"),
    path("sessions/<int:pk>/drill/", views.session_drill, name="drill"),
]
