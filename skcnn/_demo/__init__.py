"""Sections of the ``skcnn demo`` report.

Each section is a module here with a function ``run(ctx) -> Section``; the
command runs the modules named in :data:`SECTIONS` in order and writes one
``index.html`` showing what they return. A section writes its pictures with
``ctx.save(fig, "name.png")`` and prints progress with ``ctx.log(...)``.
"""

SECTIONS = ["neuron", "mlp", "cnn", "compare", "search", "inspect", "dream", "attribution", "evaluation"]
