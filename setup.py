"""Map the repository's top-level folders to the ``parrain`` import namespace.

``core/`` is imported as ``parrain.core`` and ``plugins/`` as ``parrain.plugins`` so a
shop's own ``core`` app never clashes with ours. Metadata lives in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = {"parrain.core": "core", "parrain.plugins": "plugins"}


def mapped_packages() -> list[str]:
    packages = []
    for name, folder in ROOTS.items():
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_packages(folder)]
    return packages


setup(packages=mapped_packages(), package_dir=ROOTS)
