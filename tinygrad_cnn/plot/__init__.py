"""Plots for the lessons and the command line: text plots for the terminal.

    from tinygrad_cnn.plot import plot
    plot({"loss": (steps, losses)}, title="training loss", logy=True)
"""

from .terminal import plot

__all__ = ["plot"]
