from django.urls import path

from . import views

app_name = "exception_measures"

urlpatterns = [
    path("", views.measure_list, name="list"),
    path("new/", views.measure_new, name="new"),
    path("<int:pk>/", views.measure_detail, name="detail"),
    path("<int:pk>/decide/", views.measure_decide, name="decide"),
    path("<int:pk>/withdraw/", views.measure_withdraw, name="withdraw"),
    path("<int:pk>/end/", views.measure_end, name="end"),
]
