"""feedsvc: a news site's items, published as feeds."""

__version__ = "0.1.0"
