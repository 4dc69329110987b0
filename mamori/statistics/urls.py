from django.urls import path

from . import views

app_name = "statistics"
urlpatterns = [
    path("", views.statistics_page, name="index"),
    path("<int:fy>.xlsx", views.statistics_export, name="export"),
    path("<int:fy>/committee.docx", views.committee_report, name="committee"),
]
