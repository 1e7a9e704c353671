from django.urls import path

from . import views

urlpatterns = [
    path("passfort/webhooks", views.passfort_webhook),
    path("checks", views.run_check),
    path("fleet", views.fleet),
]
