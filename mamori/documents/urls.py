from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("incidents/<int:pk>/final-report.pdf", views.final_report_as_pdf, name="final_report_pdf"),
    path("incidents/<int:pk>/outside-texts/", views.outside_texts_page, name="outside_texts"),
    path("incidents/<int:pk>/<slug:kind>.docx", views.incident_document, name="incident_document"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:kind>/<slug:which>.docx", views.template_file, name="template_file"),
    path("templates/<slug:kind>/upload/", views.template_upload, name="template_upload"),
    path("templates/<slug:kind>/revert/", views.template_revert, name="template_revert"),
]
