"""The bottom layer of the Python packages: helpers every layer above may use (atomic files,
Arrow coercion, SVG charts). It imports none of the project's other packages."""
