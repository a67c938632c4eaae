"""Maps the `services/` folder to the `careline` import package (design §1).

pyproject.toml holds all metadata; setuptools' declarative config cannot rename a package folder
while discovering sub-packages, so this file only computes the package list.
"""

from setuptools import find_packages, setup

PACKAGES = ["careline"] + [f"careline.{name}" for name in find_packages("services")]

setup(
    package_dir={"careline": "services"},
    packages=PACKAGES,
    package_data={"": ["*.json", "*.yaml", "*.ini", "*.mako", "*.html", "*.wav", "*.proto", "py.typed"]},
    include_package_data=True,
)
