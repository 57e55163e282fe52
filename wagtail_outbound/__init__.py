"""Private, exact outbound link click analytics for Wagtail."""

__version__ = "0.1.0"
