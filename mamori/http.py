"""Request types for views. Behind ``@login_required`` the user is a person of ours, not anonymous."""

from django.http import HttpRequest

from mamori.people.models import User


class AuthedRequest(HttpRequest):
    user: User
