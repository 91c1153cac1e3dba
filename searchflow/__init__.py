"""searchflow: search, deduplicate, screen and report systematic, realist and meta-ethnographic reviews."""
__version__ = "0.1.0"

from .project import Project  # noqa: E402  (the API protocol scripts use)

__all__ = ["Project", "__version__"]
