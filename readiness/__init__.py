"""Readiness: how ready a team's services are for production.

Kept free of Django and Celery imports so ``python -m readiness scan`` starts without them.
"""

__version__ = "0.1.0"
