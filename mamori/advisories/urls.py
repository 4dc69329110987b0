from django.urls import path

from . import views

app_name = "advisories"

urlpatterns = [
    path("", views.advisory_list, name="list"),
    path("new/", views.advisory_new, name="new"),
    path("import/", views.advisory_import, name="import"),
    path("<int:pk>/", views.advisory_detail, name="detail"),
    path("<int:pk>/checks/", views.advisory_start_checks, name="start_checks"),
    path("<int:pk>/checks/<int:check_pk>/answer/", views.advisory_answer, name="answer"),
    path("<int:pk>/close/", views.advisory_close, name="close"),
]
