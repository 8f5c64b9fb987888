"""Checklist pages, one module per subject: items (a repository's checklists and their inline
actions), compare, templates and the public badge.

Every view finds the team through the user's membership (another team's objects are 404) and
checks the role for writes (403). Each page works without JavaScript; with htmx, actions swap one
item row and pages swap their main section.
"""
