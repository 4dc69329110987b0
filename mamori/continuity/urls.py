from django.urls import path

from . import views

app_name = "continuity"
urlpatterns = [
    path("", views.emergency_list, name="list"),
    path("declare/", views.declare, name="declare"),
    path("drill/<int:session_pk>/", views.drill, name="drill"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/live/", views.live, name="live"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/report.docx", views.report, name="report"),
    path("<int:pk>/rollcall/<int:entry_pk>/", views.answer_for, name="answer_for"),
    path("<int:pk>/recovery/<int:item_pk>/", views.item, name="item"),
    path("<int:pk>/recovery/<int:item_pk>/vendor/", views.vendor_request, name="vendor_request"),
    path("<int:pk>/vendor-requests/<int:request_pk>/answer/", views.vendor_answer, name="vendor_answer"),
]
