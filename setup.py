"""Map the repository's top-level folders to the ``parrain`` import namespace.

``core/`` is imported as ``parrain.core``, ``plugins/`` as ``parrain.plugins`` and
``standalone/`` (the service's settings, URLs, WSGI and Celery app) as
``parrain.standalone``, so a shop's own ``core`` app never clashes with ours. Metadata
lives in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = {"parrain.core": "core", "parrain.plugins": "plugins", "parrain.standalone": "standalone"}


def mapped_packages() -> list[str]:
    packages = []
    for name, folder in ROOTS.items():
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_packages(folder)]
    return packages


setup(packages=mapped_packages(), package_dir=ROOTS)
