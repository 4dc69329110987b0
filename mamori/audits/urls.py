from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("", views.audit_year, name="year"),
    path("<int:pk>/", views.audit_detail, name="audit"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("self-inspections/new/", views.inspection_new, name="inspection_new"),
]
