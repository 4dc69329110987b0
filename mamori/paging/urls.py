from django.urls import path

from . import views

app_name = "paging"
urlpatterns = [
    path("ack/<str:token>/", views.ack_by_link, name="ack"),
    path("inbox/", views.inbox, name="inbox"),
    path("pages/<int:pk>/ack/", views.ack_in_app, name="ack_in_app"),
    path("absences/", views.absences, name="absences"),
]
