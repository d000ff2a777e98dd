from django.urls import path

from . import views

# Neutral routes: nothing in a route or view name says how the view works.
urlpatterns = [
    path("", views.home, name="home"),
    path("inventory/", views.inventory, name="inventory"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("shipping/", views.shipping, name="shipping"),
    path("invoice/", views.invoice, name="invoice"),
]
