from django.utils import translation


class UserLanguageMiddleware:
    """Japanese unless the person chose English (User.language) or the request asked for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get("language") if hasattr(request, "session") else None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            language = user.language
        translation.activate(language if language in ("ja", "en") else "ja")
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
