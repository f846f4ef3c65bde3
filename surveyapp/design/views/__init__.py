"""The web designer's pages.

Two blueprints: ``designer`` (``designer`` holds it and what its pages share) and
``designer_versions`` (``versions``). The ``designer`` routes live in the modules imported
here, which register them on its blueprint; nothing else imports them.
"""

from surveyapp.design.views import items, logic, questionnaires  # noqa: F401
