"""Plots for the lessons and the command line, in a terminal and in a notebook.

    from tinygrad_cnn.plot import images, plot
    plot({"loss": (steps, losses)}, title="training loss", logy=True, xlabel="step")
    images(spins, [f"T = {t:.2f}" for t in temps], vmin=-1, vmax=1, title="Ising states")

In a terminal both draw text (markers on a grid; framed blocks of coloured cells); under an
IPython kernel with matplotlib installed they draw matplotlib figures inline. matplotlib is
optional and imported only when a figure is drawn. ``line_figure`` and ``image_figure`` build
the figures themselves (``.savefig(path)``).
"""

from .draw import BACKENDS, choose_backend, images, in_notebook, plot
from .figures import image_figure, line_figure
from .panels import Panels, panels_of

__all__ = [
    "BACKENDS",
    "Panels",
    "choose_backend",
    "image_figure",
    "images",
    "in_notebook",
    "line_figure",
    "panels_of",
    "plot",
]
