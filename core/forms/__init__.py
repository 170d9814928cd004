"""One form layer for every admin (Django admin, Oscar dashboard, Wagtail): each admin only
wraps these forms in its own layout."""
